import CoreMetrics

extension ServiceMetrics {
    /// `mailgate_webhook_attempts_total{outcome,status_class}`: one per attempt to post a
    /// webhook delivery; outcome `delivered`, `retry` or `failed` (given up), status class
    /// `2xx` … `5xx`, or `none` when no response came.
    func webhookAttempt(outcome: String, status: Int?) {
        let statusClass =
            switch status ?? 0 {
            case 200..<300: "2xx"
            case 300..<400: "3xx"
            case 400..<500: "4xx"
            case 500..<600: "5xx"
            default: "none"
            }
        Counter(
            label: "mailgate_webhook_attempts_total",
            dimensions: [("outcome", outcome), ("status_class", statusClass)],
            factory: self.factory
        ).increment()
    }
}

import CoreMetrics

extension ServiceMetrics {
    /// `mailgate_webhook_attempts_total{outcome,status_class}`: one per attempt to post a
    /// webhook delivery; outcome `delivered`, `retry` or `failed` (given up), status class
    /// `2xx` … `5xx`, or `none` when no response came.
    func webhookAttempt(outcome: String, status: Int?) {
        Counter(
            label: "mailgate_webhook_attempts_total",
            dimensions: [("outcome", outcome), ("status_class", Self.statusClass(of: status))],
            factory: self.factory
        ).increment()
    }

    /// Exports the given-up counters at 0 before anything fails, so that an alert on their
    /// increase sees the first failure of a replica (a series that appears at 1 has no increase).
    func webhookFailuresAtZero() {
        for statusClass in ["none", "3xx", "4xx", "5xx"] {
            Counter(
                label: "mailgate_webhook_attempts_total",
                dimensions: [("outcome", "failed"), ("status_class", statusClass)],
                factory: self.factory
            ).increment(by: 0)
        }
    }
}

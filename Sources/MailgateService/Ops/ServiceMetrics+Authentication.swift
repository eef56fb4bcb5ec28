import CoreMetrics

/// Authentication's metrics: labels take only fixed reasons and results, never key ids or addresses.
extension ServiceMetrics {
    /// `mailgate_auth_failures_total{reason}`: calls refused by authentication, by reason
    /// (`MISSING_CREDENTIALS`, `MALFORMED_API_KEY`, `INVALID_API_KEY`, `AUTHENTICATION_RATE_LIMITED`).
    func authenticationFailed(reason: String) {
        Counter(label: "mailgate_auth_failures_total", dimensions: [("reason", reason)], factory: self.factory)
            .increment()
    }

    /// `mailgate_auth_key_lookups_total{result}`: key ids read from the database (`found` or
    /// `not_found`); what a flood of random keys costs.
    func keyLookedUp(found: Bool) {
        Counter(
            label: "mailgate_auth_key_lookups_total",
            dimensions: [("result", found ? "found" : "not_found")],
            factory: self.factory
        ).increment()
    }
}

import MailgateCore

/// Secret-expiry colours at the tenant's warning thresholds.
enum ExpiryColour {
    /// `warn` once the first warning is due (within the largest threshold), `bad` within the
    /// middle one (7 days with the default 60, 30, 14, 7, 3, 1) or expired, else `ok`.
    static func cssClass(daysLeft: Int, thresholds: [Int]) -> String {
        let ascending = (thresholds.isEmpty ? ExpiryWarnings.defaultThresholds : thresholds).sorted()
        if daysLeft <= ascending[(ascending.count - 1) / 2] { return "bad" }
        if daysLeft <= ascending[ascending.count - 1] { return "warn" }
        return "ok"
    }
}

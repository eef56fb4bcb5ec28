/// The checks ValidateServer runs, in order (`ValidationCheck.name`).
enum ValidationChecks {
    static let names = ["dns", "connect", "tls", "ehlo", "token", "auth", "test_message", "backlog", "workers"]
}

import ArgumentParser
import MailgateCore
import MailgateService

/// `mailgate serve` options for SendMail limits and delivery.
struct DeliveryOptions: ParsableArguments {
    @Option(help: "CA bundle for outbound SMTP and HTTPS. [env: MAILGATE_CA_FILE] (default: system bundle)")
    var caFile: String?

    @Option(
        help: "Delivery workers per replica; 0 = accept mail but do not deliver. [env: MAILGATE_WORKERS] (default: 8)"
    )
    var workers: Int?

    @Option(
        help:
            "Seconds a claimed message is held before another replica may take it over. [env: MAILGATE_LEASE_SECONDS] (default: 300)"
    )
    var leaseSeconds: Int?

    @Option(
        help: "Seconds before the first retry; doubles each time. [env: MAILGATE_RETRY_INITIAL_SECONDS] (default: 60)"
    )
    var retryInitialSeconds: Int?

    @Option(help: "Longest wait between retries, seconds. [env: MAILGATE_RETRY_MAX_SECONDS] (default: 3600)")
    var retryMaxSeconds: Int?

    @Option(
        help:
            "Seconds after queueing when an undelivered message fails. [env: MAILGATE_RETRY_GIVE_UP_SECONDS] (default: 86400)"
    )
    var retryGiveUpSeconds: Int?

    @Option(
        help:
            "Seconds an idempotency key returns its first message. [env: MAILGATE_IDEMPOTENCY_WINDOW_SECONDS] (default: 86400)"
    )
    var idempotencyWindowSeconds: Int?

    @Option(help: "Seconds bodies of finished messages are kept. [env: MAILGATE_RETENTION_SECONDS] (default: 604800)")
    var retentionSeconds: Int?

    @Option(help: "Recipients (to + cc + bcc) per message. [env: MAILGATE_MAX_RECIPIENTS] (default: 100)")
    var maxRecipients: Int?

    @Option(help: "Largest message after encoding, bytes. [env: MAILGATE_MAX_MESSAGE_BYTES] (default: 26214400)")
    var maxMessageBytes: Int?

    @Option(
        help:
            "Milliseconds between polls of idle workers (they are also woken by NOTIFY). [env: MAILGATE_POLL_INTERVAL_MS] (default: 2000)"
    )
    var pollIntervalMs: Int?

    @Option(help: "Bound on one SMTP transaction, seconds. [env: MAILGATE_SMTP_TIMEOUT_SECONDS] (default: 120)")
    var smtpTimeoutSeconds: Int?

    func settings(_ settings: Settings) throws -> MailerSettings {
        func number(_ flag: Int?, _ name: String, _ fallback: Int, minimum: Int = 1) throws -> Int {
            guard let text = settings.value(flag.map(String.init), name) else { return fallback }
            guard let value = Int(text), value >= minimum else {
                throw ConfigurationError("\(name) must be a whole number of at least \(minimum).")
            }
            return value
        }
        let defaults = MailerSettings()
        let retry = RetryPolicy(
            initialDelay: .seconds(try number(self.retryInitialSeconds, "MAILGATE_RETRY_INITIAL_SECONDS", 60)),
            maximumDelay: .seconds(try number(self.retryMaxSeconds, "MAILGATE_RETRY_MAX_SECONDS", 3600)),
            giveUpAfter: .seconds(try number(self.retryGiveUpSeconds, "MAILGATE_RETRY_GIVE_UP_SECONDS", 86400))
        )
        return MailerSettings(
            limits: MessageLimits(
                maximumRecipients: try number(
                    self.maxRecipients,
                    "MAILGATE_MAX_RECIPIENTS",
                    defaults.limits.maximumRecipients
                ),
                maximumSize: try number(
                    self.maxMessageBytes,
                    "MAILGATE_MAX_MESSAGE_BYTES",
                    defaults.limits.maximumSize,
                    minimum: 1024
                )
            ),
            idempotencyWindow: .seconds(
                try number(self.idempotencyWindowSeconds, "MAILGATE_IDEMPOTENCY_WINDOW_SECONDS", 86400)
            ),
            workers: try number(self.workers, "MAILGATE_WORKERS", defaults.workers, minimum: 0),
            lease: .seconds(try number(self.leaseSeconds, "MAILGATE_LEASE_SECONDS", 300, minimum: 3)),
            pollInterval: .milliseconds(
                try number(self.pollIntervalMs, "MAILGATE_POLL_INTERVAL_MS", 2000, minimum: 10)
            ),
            retry: retry,
            retention: .seconds(try number(self.retentionSeconds, "MAILGATE_RETENTION_SECONDS", 7 * 86400)),
            caFile: settings.value(self.caFile, "MAILGATE_CA_FILE"),
            smtpTimeout: .seconds(try number(self.smtpTimeoutSeconds, "MAILGATE_SMTP_TIMEOUT_SECONDS", 120))
        )
    }
}

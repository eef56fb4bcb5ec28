import ArgumentParser
import MailgateService

/// `serve` options of webhook deliveries.
struct WebhookOptions: ParsableArguments {
    @Option(
        help:
            "Webhook deliveries this replica posts at once; 0: none (other replicas post). [env: MAILGATE_WEBHOOK_WORKERS] (default: 4)"
    )
    var webhookWorkers: Int?

    @Option(help: "Seconds one webhook attempt may take. [env: MAILGATE_WEBHOOK_TIMEOUT_SECONDS] (default: 10)")
    var webhookTimeoutSeconds: Int?

    @Option(
        help:
            "Seconds before a refused webhook delivery is tried again, doubling each time. [env: MAILGATE_WEBHOOK_RETRY_INITIAL_SECONDS] (default: 10)"
    )
    var webhookRetryInitialSeconds: Int?

    @Option(
        help:
            "Longest wait between webhook attempts, seconds. [env: MAILGATE_WEBHOOK_RETRY_MAX_SECONDS] (default: 3600)"
    )
    var webhookRetryMaxSeconds: Int?

    @Option(
        help:
            "A webhook delivery not made this many seconds after its event fails. [env: MAILGATE_WEBHOOK_GIVE_UP_SECONDS] (default: 86400)"
    )
    var webhookGiveUpSeconds: Int?

    @Option(
        help: "A webhook delivery fails after this many attempts. [env: MAILGATE_WEBHOOK_MAX_ATTEMPTS] (default: 15)"
    )
    var webhookMaxAttempts: Int?

    /// The options given, by setting (read through `WebhookSettings(_:)`).
    var flags: [Setting: String?] {
        let table = SettingsTable.self
        return [
            table.webhookWorkers: self.webhookWorkers.map(String.init),
            table.webhookTimeoutSeconds: self.webhookTimeoutSeconds.map(String.init),
            table.webhookRetryInitialSeconds: self.webhookRetryInitialSeconds.map(String.init),
            table.webhookRetryMaxSeconds: self.webhookRetryMaxSeconds.map(String.init),
            table.webhookGiveUpSeconds: self.webhookGiveUpSeconds.map(String.init),
            table.webhookMaxAttempts: self.webhookMaxAttempts.map(String.init),
        ]
    }
}

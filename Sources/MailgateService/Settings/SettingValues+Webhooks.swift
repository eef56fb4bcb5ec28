import MailgateCore

extension WebhookSettings {
    /// Webhook deliveries from `values`; the poll interval is the mail queue's.
    public init(_ values: SettingValues) throws(ConfigurationError) {
        let table = SettingsTable.self
        let defaults = WebhookSettings()
        let initial = try values.seconds(table.webhookRetryInitialSeconds) ?? .seconds(10)
        let maximum = try values.seconds(table.webhookRetryMaxSeconds) ?? .seconds(3600)
        guard maximum >= initial else {
            throw ConfigurationError(
                "MAILGATE_WEBHOOK_RETRY_MAX_SECONDS must be at least MAILGATE_WEBHOOK_RETRY_INITIAL_SECONDS."
            )
        }
        self.init(
            workers: try values.integer(table.webhookWorkers, minimum: 0) ?? defaults.workers,
            retry: WebhookRetryPolicy(
                backoff: RetryPolicy(
                    initialDelay: initial,
                    maximumDelay: maximum,
                    giveUpAfter: try values.seconds(table.webhookGiveUpSeconds, minimum: 60) ?? .seconds(86400)
                ),
                maximumAttempts: try values.integer(table.webhookMaxAttempts) ?? defaults.retry.maximumAttempts
            ),
            timeout: try values.seconds(table.webhookTimeoutSeconds) ?? defaults.timeout,
            pollInterval: .milliseconds(try values.integer(table.pollIntervalMs, minimum: 10) ?? 2000)
        )
    }
}

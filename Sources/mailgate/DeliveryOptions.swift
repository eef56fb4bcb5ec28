import ArgumentParser
import MailgateCore
import MailgateService

/// `mailgate serve` options for SendMail limits and delivery.
struct DeliveryOptions: ParsableArguments {
    @Option(help: "CA bundle for outbound SMTP and HTTPS. [env: MAILGATE_CA_FILE] (default: system bundle)")
    var caFile: String?

    @Option(
        help:
            "Non-public networks (comma-separated CIDRs) output servers and token URLs may point to; all others are refused. [env: MAILGATE_ALLOWED_PRIVATE_NETWORKS] (default: none; --dev allows loopback)"
    )
    var allowedPrivateNetworks: String?

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

    @Option(
        help:
            "Seconds finished messages and their attempts are kept, then deleted; 0 = forever. [env: MAILGATE_MESSAGE_RETENTION_SECONDS] (default: 2592000, 30 days)"
    )
    var messageRetentionSeconds: Int?

    @Option(
        help:
            "Seconds events are kept, then deleted; 0 = forever. [env: MAILGATE_EVENT_RETENTION_SECONDS] (default: 7776000, 90 days)"
    )
    var eventRetentionSeconds: Int?

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

    @Option(
        help:
            "Seconds a server blocked by its own fault (TLS, credentials, DNS) waits before one attempt probes it; doubles per failed probe. [env: MAILGATE_BLOCK_INITIAL_SECONDS] (default: 30)"
    )
    var blockInitialSeconds: Int?

    @Option(
        help:
            "Longest wait between probes of a blocked server, seconds. [env: MAILGATE_BLOCK_MAX_SECONDS] (default: 600)"
    )
    var blockMaxSeconds: Int?

    @Option(
        help:
            "Default quota: messages a tenant may have queued; 0 = unlimited. [env: MAILGATE_TENANT_MAX_QUEUED_MESSAGES] (default: 1000000)"
    )
    var tenantMaxQueuedMessages: Int?

    @Option(
        help:
            "Default quota: bytes of mail a tenant may have queued; 0 = unlimited. [env: MAILGATE_TENANT_MAX_QUEUED_BYTES] (default: 10737418240)"
    )
    var tenantMaxQueuedBytes: Int?

    @Option(
        help:
            "Default quota: SendMail calls a tenant may make per minute across replicas; 0 = unlimited. [env: MAILGATE_TENANT_SENDS_PER_MINUTE] (default: 0)"
    )
    var tenantSendsPerMinute: Int?

    @Option(
        help:
            "Default quota: how far ahead not_before may be, seconds. [env: MAILGATE_TENANT_SCHEDULE_AHEAD_SECONDS] (default: 2592000)"
    )
    var tenantScheduleAheadSeconds: Int?

    @Option(
        help:
            "Default quota: ValidateServer calls a tenant may make per minute across replicas; 0 = unlimited. [env: MAILGATE_TENANT_VALIDATIONS_PER_MINUTE] (default: 10)"
    )
    var tenantValidationsPerMinute: Int?

    @Option(
        help:
            "Default quota: RefreshToken calls a tenant may make per minute across replicas; 0 = unlimited. [env: MAILGATE_TENANT_TOKEN_REFRESHES_PER_MINUTE] (default: 6)"
    )
    var tenantTokenRefreshesPerMinute: Int?

    /// The options given, by setting (read through `MailerSettings(_:)`).
    var flags: [Setting: String?] {
        let table = SettingsTable.self
        return [
            table.caFile: self.caFile, table.allowedPrivateNetworks: self.allowedPrivateNetworks,
            table.workers: self.workers.map(String.init),
            table.leaseSeconds: self.leaseSeconds.map(String.init),
            table.retryInitialSeconds: self.retryInitialSeconds.map(String.init),
            table.retryMaxSeconds: self.retryMaxSeconds.map(String.init),
            table.retryGiveUpSeconds: self.retryGiveUpSeconds.map(String.init),
            table.idempotencyWindowSeconds: self.idempotencyWindowSeconds.map(String.init),
            table.retentionSeconds: self.retentionSeconds.map(String.init),
            table.messageRetentionSeconds: self.messageRetentionSeconds.map(String.init),
            table.eventRetentionSeconds: self.eventRetentionSeconds.map(String.init),
            table.maxRecipients: self.maxRecipients.map(String.init),
            table.maxMessageBytes: self.maxMessageBytes.map(String.init),
            table.pollIntervalMs: self.pollIntervalMs.map(String.init),
            table.smtpTimeoutSeconds: self.smtpTimeoutSeconds.map(String.init),
            table.blockInitialSeconds: self.blockInitialSeconds.map(String.init),
            table.blockMaxSeconds: self.blockMaxSeconds.map(String.init),
            table.tenantMaxQueuedMessages: self.tenantMaxQueuedMessages.map(String.init),
            table.tenantMaxQueuedBytes: self.tenantMaxQueuedBytes.map(String.init),
            table.tenantSendsPerMinute: self.tenantSendsPerMinute.map(String.init),
            table.tenantScheduleAheadSeconds: self.tenantScheduleAheadSeconds.map(String.init),
            table.tenantValidationsPerMinute: self.tenantValidationsPerMinute.map(String.init),
            table.tenantTokenRefreshesPerMinute: self.tenantTokenRefreshesPerMinute.map(String.init),
        ]
    }
}

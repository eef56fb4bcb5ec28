/// Every setting, once: names, flags and defaults. Start-up and the SIGHUP reload read
/// through `SettingValues` with these; the README's settings table is checked against it.
public enum SettingsTable {
    public static let configFile = Setting("MAILGATE_CONFIG_FILE", flag: "--config-file")
    public static let databaseURL = Setting("MAILGATE_DATABASE_URL", flag: "--database-url")
    public static let listen = Setting("MAILGATE_LISTEN", flag: "--listen", default: "127.0.0.1:7587")
    public static let opsListen = Setting("MAILGATE_OPS_LISTEN", flag: "--ops-listen", default: "127.0.0.1:7588")
    public static let oauthRedirectURI = Setting("MAILGATE_OAUTH_REDIRECT_URI", flag: "--oauth-redirect-uri")
    public static let consoleListen = Setting(
        "MAILGATE_CONSOLE_LISTEN",
        flag: "--console-listen",
        default: "127.0.0.1:7589"
    )
    public static let consolePublicURL = Setting("MAILGATE_CONSOLE_PUBLIC_URL", flag: "--console-public-url")
    public static let consoleSessionIdleSeconds = Setting(
        "MAILGATE_CONSOLE_SESSION_IDLE_SECONDS",
        flag: "--console-session-idle-seconds",
        default: "1800"
    )
    public static let consoleSessionLifetimeSeconds = Setting(
        "MAILGATE_CONSOLE_SESSION_LIFETIME_SECONDS",
        flag: "--console-session-lifetime-seconds",
        default: "43200"
    )
    public static let masterKeys = Setting("MAILGATE_MASTER_KEYS", flag: nil)
    public static let masterKeysFile = Setting("MAILGATE_MASTER_KEYS_FILE", flag: "--master-keys-file")
    public static let bootstrapOperatorKey = Setting("MAILGATE_BOOTSTRAP_OPERATOR_KEY", flag: nil)
    public static let tlsCert = Setting("MAILGATE_TLS_CERT", flag: "--tls-cert")
    public static let tlsKey = Setting("MAILGATE_TLS_KEY", flag: "--tls-key")
    public static let allowPlaintext = Setting("MAILGATE_ALLOW_PLAINTEXT", flag: nil)
    public static let caFile = Setting("MAILGATE_CA_FILE", flag: "--ca-file")
    public static let allowedPrivateNetworks = Setting(
        "MAILGATE_ALLOWED_PRIVATE_NETWORKS",
        flag: "--allowed-private-networks"
    )
    public static let workers = Setting("MAILGATE_WORKERS", flag: "--workers", default: "8")
    public static let leaseSeconds = Setting("MAILGATE_LEASE_SECONDS", flag: "--lease-seconds", default: "300")
    public static let retryInitialSeconds = Setting(
        "MAILGATE_RETRY_INITIAL_SECONDS",
        flag: "--retry-initial-seconds",
        default: "60"
    )
    public static let retryMaxSeconds = Setting(
        "MAILGATE_RETRY_MAX_SECONDS",
        flag: "--retry-max-seconds",
        default: "3600"
    )
    public static let retryGiveUpSeconds = Setting(
        "MAILGATE_RETRY_GIVE_UP_SECONDS",
        flag: "--retry-give-up-seconds",
        default: "86400"
    )
    public static let idempotencyWindowSeconds = Setting(
        "MAILGATE_IDEMPOTENCY_WINDOW_SECONDS",
        flag: "--idempotency-window-seconds",
        default: "86400"
    )
    public static let retentionSeconds = Setting(
        "MAILGATE_RETENTION_SECONDS",
        flag: "--retention-seconds",
        default: "604800"
    )
    public static let messageRetentionSeconds = Setting(
        "MAILGATE_MESSAGE_RETENTION_SECONDS",
        flag: "--message-retention-seconds",
        default: "2592000"
    )
    public static let eventRetentionSeconds = Setting(
        "MAILGATE_EVENT_RETENTION_SECONDS",
        flag: "--event-retention-seconds",
        default: "7776000"
    )
    public static let maxRecipients = Setting("MAILGATE_MAX_RECIPIENTS", flag: "--max-recipients", default: "100")
    public static let maxMessageBytes = Setting(
        "MAILGATE_MAX_MESSAGE_BYTES",
        flag: "--max-message-bytes",
        default: "26214400"
    )
    public static let pollIntervalMs = Setting("MAILGATE_POLL_INTERVAL_MS", flag: "--poll-interval-ms", default: "2000")
    public static let smtpTimeoutSeconds = Setting(
        "MAILGATE_SMTP_TIMEOUT_SECONDS",
        flag: "--smtp-timeout-seconds",
        default: "120"
    )
    public static let tenantMaxQueuedMessages = Setting(
        "MAILGATE_TENANT_MAX_QUEUED_MESSAGES",
        flag: "--tenant-max-queued-messages",
        default: "1000000"
    )
    public static let tenantMaxQueuedBytes = Setting(
        "MAILGATE_TENANT_MAX_QUEUED_BYTES",
        flag: "--tenant-max-queued-bytes",
        default: "10737418240"
    )
    public static let tenantSendsPerMinute = Setting(
        "MAILGATE_TENANT_SENDS_PER_MINUTE",
        flag: "--tenant-sends-per-minute",
        default: "0"
    )
    public static let tenantScheduleAheadSeconds = Setting(
        "MAILGATE_TENANT_SCHEDULE_AHEAD_SECONDS",
        flag: "--tenant-schedule-ahead-seconds",
        default: "2592000"
    )
    public static let tenantValidationsPerMinute = Setting(
        "MAILGATE_TENANT_VALIDATIONS_PER_MINUTE",
        flag: "--tenant-validations-per-minute",
        default: "10"
    )
    public static let tenantTokenRefreshesPerMinute = Setting(
        "MAILGATE_TENANT_TOKEN_REFRESHES_PER_MINUTE",
        flag: "--tenant-token-refreshes-per-minute",
        default: "6"
    )
    public static let blockInitialSeconds = Setting(
        "MAILGATE_BLOCK_INITIAL_SECONDS",
        flag: "--block-initial-seconds",
        default: "30"
    )
    public static let blockMaxSeconds = Setting(
        "MAILGATE_BLOCK_MAX_SECONDS",
        flag: "--block-max-seconds",
        default: "600"
    )
    public static let logLevel = Setting("MAILGATE_LOG_LEVEL", flag: "--log-level", default: "info")
    public static let logFormat = Setting("MAILGATE_LOG_FORMAT", flag: "--log-format", default: "text")
    public static let migrationsDir = Setting("MAILGATE_MIGRATIONS_DIR", flag: "--migrations-dir")
    public static let shutdownGraceSeconds = Setting(
        "MAILGATE_SHUTDOWN_GRACE_SECONDS",
        flag: "--shutdown-grace-seconds",
        default: "20"
    )
    public static let expiryWarningDays = Setting(
        "MAILGATE_EXPIRY_WARNING_DAYS",
        flag: "--expiry-warning-days",
        default: "60,30,14,7,3,1"
    )
    public static let expiryScanSeconds = Setting(
        "MAILGATE_EXPIRY_SCAN_SECONDS",
        flag: "--expiry-scan-seconds",
        default: "600"
    )
    public static let expirySystemServer = Setting("MAILGATE_EXPIRY_SYSTEM_SERVER", flag: "--expiry-system-server")
    public static let graphURL = Setting(
        "MAILGATE_GRAPH_URL",
        flag: "--graph-url",
        default: "https://graph.microsoft.com"
    )

    // Webhook deliveries (README: "Webhooks").
    public static let webhookWorkers = Setting("MAILGATE_WEBHOOK_WORKERS", flag: "--webhook-workers", default: "4")
    public static let webhookTimeoutSeconds = Setting(
        "MAILGATE_WEBHOOK_TIMEOUT_SECONDS",
        flag: "--webhook-timeout-seconds",
        default: "10"
    )
    public static let webhookRetryInitialSeconds = Setting(
        "MAILGATE_WEBHOOK_RETRY_INITIAL_SECONDS",
        flag: "--webhook-retry-initial-seconds",
        default: "10"
    )
    public static let webhookRetryMaxSeconds = Setting(
        "MAILGATE_WEBHOOK_RETRY_MAX_SECONDS",
        flag: "--webhook-retry-max-seconds",
        default: "3600"
    )
    public static let webhookGiveUpSeconds = Setting(
        "MAILGATE_WEBHOOK_GIVE_UP_SECONDS",
        flag: "--webhook-give-up-seconds",
        default: "86400"
    )
    public static let webhookMaxAttempts = Setting(
        "MAILGATE_WEBHOOK_MAX_ATTEMPTS",
        flag: "--webhook-max-attempts",
        default: "15"
    )

    // RPC server limits and authentication failures (README: "Limits").
    public static let rpcMaxConnections = Setting(
        "MAILGATE_RPC_MAX_CONNECTIONS",
        flag: "--rpc-max-connections",
        default: "1000"
    )
    public static let rpcCallsOnEventLoop = Setting(
        "MAILGATE_RPC_CALLS_ON_EVENT_LOOP",
        flag: "--rpc-calls-on-event-loop",
        default: "0"
    )
    public static let rpcMaxRequestBytesInFlight = Setting(
        "MAILGATE_RPC_MAX_REQUEST_BYTES_IN_FLIGHT",
        flag: "--rpc-max-request-bytes-in-flight",
        default: "33554432"
    )
    public static let rpcMaxFrameBytes = Setting(
        "MAILGATE_RPC_MAX_FRAME_BYTES",
        flag: "--rpc-max-frame-bytes",
        default: "16777216"
    )
    public static let rpcMaxUnauthenticatedFrameBytes = Setting(
        "MAILGATE_RPC_MAX_UNAUTHENTICATED_FRAME_BYTES",
        flag: "--rpc-max-unauthenticated-frame-bytes",
        default: "65536"
    )
    public static let rpcFrameTimeoutSeconds = Setting(
        "MAILGATE_RPC_FRAME_TIMEOUT_SECONDS",
        flag: "--rpc-frame-timeout-seconds",
        default: "30"
    )
    public static let authFailureBurst = Setting(
        "MAILGATE_AUTH_FAILURE_BURST",
        flag: "--auth-failure-burst",
        default: "20"
    )
    public static let authFailuresPerMinute = Setting(
        "MAILGATE_AUTH_FAILURES_PER_MINUTE",
        flag: "--auth-failures-per-minute",
        default: "60"
    )

    public static let address = Setting(
        "MAILGATE_ADDRESS",
        flag: "--address",
        default: "127.0.0.1:7587",
        scope: .client
    )
    public static let key = Setting("MAILGATE_KEY", flag: "--key", scope: .client)
    public static let clientTLS = Setting("MAILGATE_TLS", flag: "--tls", scope: .client)
    public static let rpcCAFile = Setting("MAILGATE_RPC_CA_FILE", flag: "--ca-file", scope: .client)

    /// Every setting, server side first.
    public static let all: [Setting] = [
        configFile, databaseURL, listen, opsListen, oauthRedirectURI, consoleListen, consolePublicURL,
        consoleSessionIdleSeconds, consoleSessionLifetimeSeconds, masterKeys, masterKeysFile,
        bootstrapOperatorKey, tlsCert, tlsKey, allowPlaintext, caFile, allowedPrivateNetworks, workers, leaseSeconds,
        retryInitialSeconds,
        retryMaxSeconds, retryGiveUpSeconds, idempotencyWindowSeconds, retentionSeconds, messageRetentionSeconds,
        eventRetentionSeconds, maxRecipients,
        maxMessageBytes, pollIntervalMs, smtpTimeoutSeconds, blockInitialSeconds, blockMaxSeconds,
        tenantMaxQueuedMessages, tenantMaxQueuedBytes, tenantSendsPerMinute, tenantScheduleAheadSeconds,
        tenantValidationsPerMinute, tenantTokenRefreshesPerMinute, logLevel, logFormat,
        migrationsDir,
        shutdownGraceSeconds, expiryWarningDays, expiryScanSeconds, expirySystemServer, graphURL,
        webhookWorkers, webhookTimeoutSeconds, webhookRetryInitialSeconds, webhookRetryMaxSeconds,
        webhookGiveUpSeconds, webhookMaxAttempts,
        rpcMaxConnections, rpcMaxRequestBytesInFlight, rpcMaxFrameBytes, rpcMaxUnauthenticatedFrameBytes,
        rpcFrameTimeoutSeconds, rpcCallsOnEventLoop, authFailureBurst, authFailuresPerMinute,
        address, key, clientTLS, rpcCAFile,
    ]
}

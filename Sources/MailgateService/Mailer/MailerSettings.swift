import MailgateCore

/// How SendMail and delivery behave; `mailgate serve` flags set these.
public struct MailerSettings: Sendable {
    /// Recipient and size limits of one message.
    public var limits: MessageLimits
    /// How long an idempotency key answers with its first message.
    public var idempotencyWindow: Duration
    /// The quotas of a tenant that has none of its own (0 = unlimited).
    public var tenantQuotas: TenantQuotas
    /// Delivery workers in this replica.
    public var workers: Int
    /// Messages a worker claims at once.
    public var claimBatch: Int
    /// How long a claim is held without renewal before another replica may take it over.
    public var lease: Duration
    /// How often idle workers look for due mail without being woken.
    public var pollInterval: Duration
    public var retry: RetryPolicy
    /// How long bodies of finished messages are kept.
    public var retention: Duration
    /// How long finished messages (and their attempts) are kept at all; nil = forever.
    public var messageRetention: Duration?
    /// How long events are kept; nil = forever.
    public var eventRetention: Duration?
    /// PEM bundle for verifying SMTP servers; nil = the system bundle.
    public var caFile: String?
    /// The addresses delivery, validation and token requests may connect to.
    public var destinations: DestinationPolicy
    /// Bound on one SMTP transaction.
    public var smtpTimeout: Duration
    /// How long every replica leaves a server alone after it throttles us (`432 4.3.2`).
    public var throttlePause: Duration
    /// How long after a server reports a used-up sending quota.
    public var quotaPause: Duration
    /// How long a server that refuses freshly issued OAuth tokens is left alone.
    public var tokenRejectionPause: Duration
    /// How long a server blocked by its own fault (TLS, credentials, DNS) waits before one
    /// attempt probes it; the wait doubles with each failed probe, up to `blockMaximumWait`.
    /// A fix (PutServer, a stored token, a passing validation) lifts the block at once.
    public var blockInitialWait: Duration
    public var blockMaximumWait: Duration

    public init(
        limits: MessageLimits = MessageLimits(),
        idempotencyWindow: Duration = .seconds(24 * 3600),
        tenantQuotas: TenantQuotas = .standardDefaults,
        workers: Int = 8,
        claimBatch: Int = 32,
        lease: Duration = .seconds(300),
        pollInterval: Duration = .seconds(2),
        retry: RetryPolicy = RetryPolicy(),
        retention: Duration = .seconds(7 * 24 * 3600),
        messageRetention: Duration? = .seconds(30 * 24 * 3600),
        eventRetention: Duration? = .seconds(90 * 24 * 3600),
        caFile: String? = nil,
        destinations: DestinationPolicy = .publicOnly,
        smtpTimeout: Duration = .seconds(120),
        throttlePause: Duration = .seconds(60),
        quotaPause: Duration = .seconds(3600),
        tokenRejectionPause: Duration = .seconds(300),
        blockInitialWait: Duration = .seconds(30),
        blockMaximumWait: Duration = .seconds(600)
    ) {
        self.limits = limits
        self.idempotencyWindow = idempotencyWindow
        self.tenantQuotas = tenantQuotas
        self.workers = workers
        self.claimBatch = claimBatch
        self.lease = lease
        self.pollInterval = pollInterval
        self.retry = retry
        self.retention = retention
        self.messageRetention = messageRetention
        self.eventRetention = eventRetention
        self.caFile = caFile
        self.destinations = destinations
        self.smtpTimeout = smtpTimeout
        self.throttlePause = throttlePause
        self.blockInitialWait = blockInitialWait
        self.blockMaximumWait = blockMaximumWait
        self.quotaPause = quotaPause
        self.tokenRejectionPause = tokenRejectionPause
    }
}

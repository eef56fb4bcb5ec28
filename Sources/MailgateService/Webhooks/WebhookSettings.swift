import MailgateCore

/// How webhook deliveries are posted: how many at once per replica, how long each may
/// take, and when a refused one is tried again or given up.
public struct WebhookSettings: Sendable {
    /// Deliveries posted at once by this replica; 0 = this replica posts none (the outbox
    /// still fills, and other replicas post).
    public var workers: Int
    /// Backoff after failed attempts, honouring Retry-After on 429 and 503.
    public var retry: WebhookRetryPolicy
    /// One attempt's limit, connection and response included.
    public var timeout: Duration
    /// How long a claimed delivery stays with its worker before another may take it; longer
    /// than `timeout`, so a live worker never loses a delivery it is posting.
    public var lease: Duration
    /// How often an idle worker looks for due deliveries.
    public var pollInterval: Duration

    public init(
        workers: Int = 4,
        retry: WebhookRetryPolicy = WebhookRetryPolicy(),
        timeout: Duration = .seconds(10),
        lease: Duration? = nil,
        pollInterval: Duration = .seconds(1)
    ) {
        self.workers = max(0, workers)
        self.retry = retry
        self.timeout = timeout
        self.lease = lease ?? max(timeout * 3, .seconds(30))
        self.pollInterval = pollInterval
    }
}

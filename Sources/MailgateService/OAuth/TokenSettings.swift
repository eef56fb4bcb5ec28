/// How the token service asks for tokens and waits after failures.
public struct TokenSettings: Sendable {
    /// PEM bundle of trusted CAs for token endpoints; nil = the system bundle.
    public var caFile: String?
    /// Bound on one token request.
    public var requestTimeout: Duration
    /// A cached token is refreshed when less than this remains (Exchange refuses tokens
    /// about to expire: `501 5.5.127 … Token will expire soon`).
    public var refreshMargin: Duration
    /// Wait before asking once more after `invalid_grant`.
    public var invalidGrantRetryDelay: Duration
    /// First wait after a transient failure; doubles up to `maximumBackoff`.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// Wait after a failure that needs an operator before delivery asks again.
    public var retryAfterOperatorFailure: Duration
    /// Token requests in flight at once per replica (each holds a database connection).
    public var concurrentRequests: Int

    public init(
        caFile: String? = nil,
        requestTimeout: Duration = .seconds(30),
        refreshMargin: Duration = .seconds(600),
        invalidGrantRetryDelay: Duration = .seconds(2),
        initialBackoff: Duration = .seconds(30),
        maximumBackoff: Duration = .seconds(600),
        retryAfterOperatorFailure: Duration = .seconds(900),
        concurrentRequests: Int = 6
    ) {
        self.caFile = caFile
        self.requestTimeout = requestTimeout
        self.refreshMargin = refreshMargin
        self.invalidGrantRetryDelay = invalidGrantRetryDelay
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.retryAfterOperatorFailure = retryAfterOperatorFailure
        self.concurrentRequests = concurrentRequests
    }
}

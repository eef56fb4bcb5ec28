import MailgateCore

/// How client-secret expiry is watched.
public struct ExpirySettings: Sendable {
    /// Days before expiry to warn at, unless a tenant sets its own.
    public var thresholds: [Int]
    /// How often every replica scans (one does the work, under an advisory lock), the
    /// first time at start; nil = only when `scanOnce` is called.
    public var interval: Duration?
    /// "tenant/server": sends warnings when the tenant's default server cannot (none, or
    /// it is the server whose secret expired, or it has a token problem).
    public var systemServer: String?
    /// Microsoft Graph, for reading a secret's end date from its app registration.
    public var graphBaseURL: String

    public init(
        thresholds: [Int] = ExpiryWarnings.defaultThresholds,
        interval: Duration? = .seconds(600),
        systemServer: String? = nil,
        graphBaseURL: String = "https://graph.microsoft.com"
    ) {
        self.thresholds = thresholds
        self.interval = interval
        self.systemServer = systemServer
        self.graphBaseURL = graphBaseURL
    }
}

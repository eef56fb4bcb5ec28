import Synchronization

/// Where the ops HTTP port listens, and the consent callback URL providers redirect to.
public struct OpsConfiguration: Sendable {
    public var host: String
    /// 0 = any free port (tests).
    public var port: Int
    /// The callback URL as the browser reaches it (behind a proxy or TLS terminator);
    /// nil = `http://localhost:<port>/oauth/callback`.
    public var redirectURI: String?

    public init(host: String = "127.0.0.1", port: Int, redirectURI: String? = nil) {
        self.host = host
        self.port = port
        self.redirectURI = redirectURI
    }
}

/// Lets the consent service ask the ops server, made after it, for its bound port.
final class OpsServerBox: Sendable {
    private let stored = Mutex<OpsHTTPServer?>(nil)

    var server: OpsHTTPServer? {
        get { self.stored.withLock { $0 } }
        set { self.stored.withLock { $0 = newValue } }
    }
}

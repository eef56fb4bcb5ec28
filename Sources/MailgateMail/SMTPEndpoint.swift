import MailgateCore

/// Where and how to deliver: an output server as the SMTP client sees it.
public struct SMTPEndpoint: Sendable, Hashable {
    /// How the client proves who it is.
    public enum Authentication: Sendable, Hashable {
        case none
        /// AUTH PLAIN or LOGIN, whichever the server offers.
        case password(username: String, password: Secret)
        /// AUTH XOAUTH2 with an OAuth access token.
        case xoauth2(username: String, accessToken: Secret)
    }

    public var host: String
    public var port: Int
    public var security: ConnectionSecurity
    public var authentication: Authentication
    /// PEM bundle of trusted CAs; nil = the system bundle.
    public var caFile: String?
    public var connectTimeout: Duration
    /// Bound on one whole transaction, connection included.
    public var totalTimeout: Duration
    /// Keep the connection open for the next message to this server. Off for servers
    /// with a connection limit, where an idle cached connection would count against it.
    public var reuseConnection: Bool
    /// The addresses the connection may go to, checked after the name resolves.
    public var destinations: DestinationPolicy

    public init(
        host: String,
        port: Int,
        security: ConnectionSecurity,
        authentication: Authentication = .none,
        caFile: String? = nil,
        connectTimeout: Duration = .seconds(15),
        totalTimeout: Duration = .seconds(120),
        reuseConnection: Bool = true,
        destinations: DestinationPolicy = .publicOnly
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.authentication = authentication
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.reuseConnection = reuseConnection
        self.destinations = destinations
    }

    /// The URL libcurl connects to: `smtps://` for implicit TLS, `smtp://` otherwise.
    var url: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(self.security == .tls ? "smtps" : "smtp")://\(host):\(self.port)"
    }
}

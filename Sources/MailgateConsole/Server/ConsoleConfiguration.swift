import Foundation
import NIOSSL

/// Where and how the console listens, and how long its sessions live.
public struct ConsoleConfiguration: Sendable {
    /// The address to listen on (`127.0.0.1` by default: reach it through a proxy or a tunnel).
    public var host: String
    /// The port; 0 picks a free one (tests).
    public var port: Int
    /// The TLS context of each new connection (the RPC server's current one, which SIGHUP
    /// replaces); nil serves plain HTTP.
    public var tls: (@Sendable () -> NIOSSLContext)?
    /// A session unused for this long ends.
    public var idleTimeout: Duration
    /// A session ends this long after sign-in, however active.
    public var lifetime: Duration
    /// The console's address as browsers reach it (e.g. behind a proxy), for the OAuth
    /// redirect URI; nil derives it from each request's Host header.
    public var publicURL: String?

    /// Browsers reach the console over HTTPS (its own TLS, or a proxy's): cookies are `Secure`.
    var isSecure: Bool { self.tls != nil || self.publicURL?.lowercased().hasPrefix("https://") == true }

    /// What is wrong with `publicURL`, or nil: it must be an absolute http(s) URL of a host.
    public static func publicURLProblem(_ text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty,
            url.query == nil, url.fragment == nil
        else { return "must be an http or https URL of the console, such as https://mail-admin.example.com" }
        return nil
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 7589,
        tls: (@Sendable () -> NIOSSLContext)? = nil,
        idleTimeout: Duration = .seconds(30 * 60),
        lifetime: Duration = .seconds(12 * 3600),
        publicURL: String? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.idleTimeout = idleTimeout
        self.lifetime = lifetime
        self.publicURL = publicURL
    }
}

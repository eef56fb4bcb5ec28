import Foundation

/// The OAuth token endpoint fixture (token_server.py): Microsoft- and Google-style
/// token and authorize endpoints over real HTTP, started, waited for, and stopped.
public final class TokenTestServer: @unchecked Sendable {
    private let process: FixtureProcess
    public var port: Int { self.process.port }

    /// The Microsoft directory id the fixture knows.
    public static let directory = "contoso-directory"

    public init(arguments: [String]) throws {
        self.process = try FixtureProcess(
            script: "token_server.py",
            arguments: ["--directory", Self.directory] + arguments
        )
    }

    public var baseURL: String { "http://127.0.0.1:\(self.port)" }
    /// Microsoft-style token URL with `{tenant_id}` left for the server's directory id.
    public var microsoftTokenURL: String { "\(self.baseURL)/{tenant_id}/oauth2/v2.0/token" }
    public var microsoftAuthorizationURL: String { "\(self.baseURL)/{tenant_id}/oauth2/v2.0/authorize" }
    public var googleTokenURL: String { "\(self.baseURL)/google/token" }
    public var googleAuthorizationURL: String { "\(self.baseURL)/google/auth" }
    /// What the SMTP fixture asks to vouch for an XOAUTH2 token.
    public var introspectURL: String { "\(self.baseURL)/introspect" }

    /// Token requests answered so far, by any grant.
    public func tokenRequests() throws -> Int {
        (try self.stats()["token_requests"] as? Int) ?? -1
    }

    public func stats() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: try self.http("GET", "/stats")) as? [String: Any] ?? [:]
    }

    /// Makes the next `count` token requests fail as `kind` (server_error, unavailable, invalid_grant).
    public func fail(_ kind: String, count: Int) throws {
        _ = try self.http(
            "POST",
            "/control",
            body: try JSONSerialization.data(withJSONObject: ["fail": kind, "count": count])
        )
    }

    /// Forgets every refresh token (consent withdrawn).
    public func revokeRefreshTokens() throws {
        _ = try self.http(
            "POST",
            "/control",
            body: try JSONSerialization.data(withJSONObject: ["revoke_refresh_tokens": true])
        )
    }

    /// Follows an authorization URL as a consenting browser would: returns the redirect's Location.
    public func consent(at authorizationURL: String) throws -> String {
        guard let url = URL(string: authorizationURL), url.port == self.port else {
            throw TestEnvironmentError("not this fixture's URL: \(authorizationURL)")
        }
        let (status, headers, _) = try RawHTTP.request(
            "GET",
            host: "127.0.0.1",
            port: self.port,
            path: url.path + "?" + (url.query ?? "")
        )
        guard status == 302, let location = headers["location"] else {
            throw TestEnvironmentError("authorize answered \(status)")
        }
        return location
    }

    private func http(_ method: String, _ path: String, body: Data = Data()) throws -> Data {
        let (status, _, data) = try RawHTTP.request(method, host: "127.0.0.1", port: self.port, path: path, body: body)
        guard status < 300 else { throw TestEnvironmentError("\(method) \(path) answered \(status)") }
        return data
    }
}

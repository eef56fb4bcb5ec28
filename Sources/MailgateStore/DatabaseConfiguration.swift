import Foundation
import NIOSSL
import PostgresNIO

/// Reads a libpq connection URL, `postgres://user:password@host:port/database?sslmode=…`
/// (or `postgres:///database?host=/socket/dir` for a unix socket), into a client
/// configuration. What the URL leaves out comes from libpq's environment variables
/// (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`,
/// `PGCONNECT_TIMEOUT`), and `sslmode` means what it means to libpq:
///
/// - `disable`: no TLS.
/// - `allow`, `prefer` (the default): TLS when the server offers it, without checking its
///   certificate; plaintext when it does not. (`allow` tries plaintext first in libpq; here
///   it is `prefer`, which connects wherever `allow` would.)
/// - `require`: TLS or no connection, the certificate not checked (checked like `verify-ca`
///   when `sslrootcert` is given, as libpq does).
/// - `verify-ca`: TLS with a certificate issued by `sslrootcert`'s CAs, any host name.
/// - `verify-full`: that, and the certificate names the host.
///
/// `sslrootcert` is a PEM file, or `system` for the system's CAs (with `verify-full` only,
/// as in libpq); `verify-ca` and
/// `verify-full` without it read `~/.postgresql/root.crt`, like libpq, and refuse to start
/// when there is none.
public enum DatabaseConfiguration {
    /// The pool's configuration (what `serve` and the CLI use).
    public static func parse(
        _ text: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StoreError) -> PostgresClient.Configuration {
        let settings = try Settings(text, environment: environment)
        var configuration: PostgresClient.Configuration
        switch settings.endpoint {
        case .socket(let path):
            configuration = .init(
                unixSocketPath: path,
                username: settings.username,
                password: settings.password,
                database: settings.database
            )
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS =
                switch settings.tls {
                case .disable: .disable
                case .prefer(let tls): .prefer(tls)
                case .require(let tls): .require(tls)
                }
            configuration = .init(
                host: host,
                port: port,
                username: settings.username,
                password: settings.password,
                database: settings.database,
                tls: tls
            )
        }
        configuration.options.connectTimeout = settings.connectTimeout
        return configuration
    }

    /// One connection's configuration for the same URL: it fails at once with the server's
    /// or TLS's own error, where the pool would keep trying (tools and tests).
    public static func parseConnection(
        _ text: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> PostgresConnection.Configuration {
        let settings = try Settings(text, environment: environment)
        var configuration: PostgresConnection.Configuration
        switch settings.endpoint {
        case .socket(let path):
            configuration = .init(
                unixSocketPath: path,
                username: settings.username,
                password: settings.password,
                database: settings.database
            )
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS =
                switch settings.tls {
                case .disable: .disable
                case .prefer(let tls): .prefer(try NIOSSLContext(configuration: tls))
                case .require(let tls): .require(try NIOSSLContext(configuration: tls))
                }
            configuration = .init(
                host: host,
                port: port,
                username: settings.username,
                password: settings.password,
                database: settings.database,
                tls: tls
            )
        }
        configuration.options.connectTimeout = .seconds(settings.connectTimeout.components.seconds)
        return configuration
    }

    /// What a URL and the environment say, before it becomes either configuration.
    struct Settings {
        enum Endpoint {
            case tcp(host: String, port: Int)
            case socket(path: String)
        }
        enum TLSChoice {
            case disable
            case prefer(TLSConfiguration)
            case require(TLSConfiguration)
        }

        var endpoint: Endpoint
        var username: String
        var password: String?
        var database: String?
        var tls: TLSChoice
        var connectTimeout: Duration

        init(_ text: String, environment: [String: String]) throws(StoreError) {
            guard let components = URLComponents(string: text),
                components.scheme == "postgres" || components.scheme == "postgresql"
            else {
                throw StoreError(
                    .invalidDatabaseURL,
                    "The database URL must look like postgres://user@host:port/database."
                )
            }
            let query = Dictionary(
                (components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
                uniquingKeysWith: { _, last in last }
            )
            /// The URL's parameter, else libpq's environment variable.
            func setting(_ parameter: String, _ variable: String) -> String? {
                (query[parameter] ?? environment[variable]).flatMap { $0.isEmpty ? nil : $0 }
            }
            self.username =
                components.user.flatMap { $0.removingPercentEncoding } ?? setting("user", "PGUSER") ?? "postgres"
            self.password =
                components.password.flatMap { $0.removingPercentEncoding } ?? setting("password", "PGPASSWORD")
            let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
            self.database = path.isEmpty ? setting("dbname", "PGDATABASE") : path.removingPercentEncoding
            let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? setting("host", "PGHOST")
            let portText = components.port.map(String.init) ?? setting("port", "PGPORT") ?? "5432"
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw StoreError(.invalidDatabaseURL, "The database port \(portText) is not a port number.")
            }
            if let host, host.hasPrefix("/") {
                // A unix socket: TLS does not apply, as with libpq.
                self.endpoint = .socket(path: "\(host)/.s.PGSQL.\(port)")
                self.tls = .disable
            } else {
                guard let host else {
                    throw StoreError(.invalidDatabaseURL, "The database URL has no host (and PGHOST is not set).")
                }
                self.endpoint = .tcp(host: host, port: port)
                self.tls = try Self.tls(
                    sslmode: setting("sslmode", "PGSSLMODE") ?? "prefer",
                    rootCertificate: setting("sslrootcert", "PGSSLROOTCERT"),
                    environment: environment
                )
            }
            // libpq waits forever for 0 and at least 2 s otherwise; Mailgate keeps 5 s unless told.
            let timeout = setting("connect_timeout", "PGCONNECT_TIMEOUT").flatMap { Int($0) }
            self.connectTimeout = .seconds(Int64(timeout.map { $0 <= 0 ? 5 : max(2, $0) } ?? 5))
        }

        static func tls(sslmode: String, rootCertificate: String?, environment: [String: String]) throws(StoreError)
            -> TLSChoice
        {
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            func verified(_ verification: CertificateVerification) throws(StoreError) -> TLSConfiguration {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = verification
                let file: String
                switch rootCertificate {
                case "system":
                    // libpq's rule: with any public CA trusted, only the host name tells the server apart.
                    guard verification == .fullVerification else {
                        throw StoreError(
                            .invalidDatabaseURL,
                            "sslrootcert=system needs sslmode=verify-full: with every public CA trusted, only the host name check tells your server apart."
                        )
                    }
                    return configuration
                case let given?:
                    file = given
                case nil:
                    file = (environment["HOME"] ?? NSHomeDirectory()) + "/.postgresql/root.crt"
                }
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw StoreError(
                        .invalidDatabaseURL,
                        "sslmode=\(sslmode) checks the server's certificate, but the root certificate \(file) cannot be read: set sslrootcert to a PEM file of the CA (or sslrootcert=system for the system's CAs)."
                    )
                }
                configuration.trustRoots = .file(file)
                return configuration
            }
            switch sslmode {
            case "disable": return .disable
            case "allow", "prefer": return .prefer(unverified)
            case "require": return .require(rootCertificate == nil ? unverified : try verified(.noHostnameVerification))
            case "verify-ca": return .require(try verified(.noHostnameVerification))
            case "verify-full": return .require(try verified(.fullVerification))
            default:
                throw StoreError(
                    .invalidDatabaseURL,
                    "sslmode \(sslmode) is not one of disable, allow, prefer, require, verify-ca, verify-full."
                )
            }
        }
    }
}

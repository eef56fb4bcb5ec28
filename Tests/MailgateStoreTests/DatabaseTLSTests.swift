import Foundation
import Logging
import MailgateStore
import MailgateTestSupport
import PostgresNIO
import Testing

/// `MAILGATE_DATABASE_URL`'s sslmode means what it means to libpq, against a real
/// PostgreSQL with TLS on (scripts/test starts it with a CA of its own).
@Suite("PostgreSQL over TLS: libpq's sslmode")
struct DatabaseTLSTests {
    struct Server {
        let port: Int
        let caFile: String

        static func current() throws -> Server {
            let environment = ProcessInfo.processInfo.environment
            guard let url = environment["MAILGATE_TEST_DATABASE_URL"].flatMap(URLComponents.init(string:)),
                let port = url.port, let caFile = environment["MAILGATE_TEST_POSTGRES_CA"]
            else {
                throw TestEnvironmentError("run with scripts/test: it starts PostgreSQL with TLS and a test CA")
            }
            return Server(port: port, caFile: caFile)
        }

        func url(host: String = "127.0.0.1", port: Int? = nil, _ parameters: String) -> String {
            "postgres://postgres@\(host):\(port ?? self.port)/postgres?\(parameters)"
        }
    }

    /// Whether the session `url` opens is encrypted, as the server sees it. One connection,
    /// not a pool: a refusal fails at once, with TLS's or the server's own error.
    static func encrypted(_ url: String, environment: [String: String] = [:]) async throws -> Bool {
        let configuration = try DatabaseConfiguration.parseConnection(url, environment: environment)
        let logger = Logger(label: "test")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            logger: logger
        )
        for try await ssl in rows.decode(Bool.self) { return ssl }
        return false
    }

    @Test("disable is plaintext; prefer, allow and require encrypt without checking the certificate")
    func unverifiedModes() async throws {
        let server = try Server.current()
        #expect(try await !Self.encrypted(server.url("sslmode=disable")))
        #expect(try await Self.encrypted(server.url("sslmode=prefer")))
        #expect(try await Self.encrypted(server.url("sslmode=allow")))
        #expect(try await Self.encrypted(server.url("sslmode=require")))
        // libpq's default is prefer.
        #expect(try await Self.encrypted(server.url("application_name=test")))
    }

    @Test("verify-ca checks the issuer, not the name; verify-full checks both")
    func verifiedModes() async throws {
        let server = try Server.current()
        let ca = "sslrootcert=\(server.caFile)"
        // The certificate names localhost only: 127.0.0.1 passes verify-ca and fails verify-full.
        #expect(try await Self.encrypted(server.url(host: "localhost", "sslmode=verify-full&\(ca)")))
        #expect(try await Self.encrypted(server.url("sslmode=verify-ca&\(ca)")))
        await #expect(throws: (any Error).self) {
            _ = try await Self.encrypted(server.url("sslmode=verify-full&\(ca)"))
        }
        // Another issuer's certificate is refused; so is require once a root certificate is given.
        await #expect(throws: (any Error).self) {
            _ = try await Self.encrypted(server.url(host: "localhost", "sslmode=verify-full&sslrootcert=system"))
        }
        await #expect(throws: (any Error).self) {
            _ = try await Self.encrypted(server.url("sslmode=require&sslrootcert=system"))
        }
    }

    @Test("a server without TLS: prefer and allow fall back to plaintext, require and above refuse")
    func serverWithoutTLS() async throws {
        let server = try Server.current()
        let proxy = try PlaintextPostgresProxy(relayingTo: server.port)
        #expect(try await !Self.encrypted(server.url(port: proxy.port, "sslmode=prefer")))
        #expect(try await !Self.encrypted(server.url(port: proxy.port, "sslmode=allow")))
        await #expect(throws: (any Error).self) {
            _ = try await Self.encrypted(server.url(port: proxy.port, "sslmode=require&connect_timeout=2"))
        }
    }

    @Test("the PG environment variables fill what the URL leaves out; the URL wins")
    func environment() async throws {
        let server = try Server.current()
        let environment = ["PGSSLMODE": "verify-full", "PGSSLROOTCERT": server.caFile, "PGPORT": String(server.port)]
        #expect(try await Self.encrypted("postgres://postgres@localhost/postgres", environment: environment))
        #expect(
            try await !Self.encrypted(
                "postgres://postgres@localhost/postgres?sslmode=disable",
                environment: environment
            )
        )
        let hostless = try DatabaseConfiguration.parse("postgres:///mail", environment: ["PGHOST": "db.internal"])
        #expect(hostless.host == "db.internal" && hostless.database == "mail")
    }

    @Test("verify modes without a readable root certificate, and unknown modes, are refused before connecting")
    func refusedSettings() {
        #expect(throws: StoreError.self) {
            try DatabaseConfiguration.parse(
                "postgres://u@db.internal/mail?sslmode=verify-full",
                environment: ["HOME": "/nonexistent"]
            )
        }
        #expect(throws: StoreError.self) {
            try DatabaseConfiguration.parse(
                "postgres://u@db.internal/mail?sslmode=verify-full&sslrootcert=/nonexistent.pem"
            )
        }
        #expect(throws: StoreError.self) { try DatabaseConfiguration.parse("postgres://u@db.internal/mail?sslmode=on") }
        // libpq's rule: the system's CAs only with the host name checked.
        #expect(throws: StoreError.self) {
            try DatabaseConfiguration.parse("postgres://u@db.internal/mail?sslmode=verify-ca&sslrootcert=system")
        }
        #expect(throws: Never.self) {
            try DatabaseConfiguration.parse("postgres://u@db.internal/mail?sslmode=verify-full&sslrootcert=system")
        }
    }
}

import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateTestSupport
import NIOSSL
import PostgresNIO
import Testing

/// SIGHUP on a real `mailgate serve` process: the TLS certificate and the master key
/// ring are read again, open connections stay, and a bad reload changes nothing.
@Suite("SIGHUP reload")
final class ReloadProcessTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-reload-\(UUID())")

    init() throws {
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.directory)
    }

    func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    /// Whether `mailgate ping` over TLS, trusting `caFile` only, gets an answer.
    static func pings(port: Int, caFile: String) async throws -> Bool {
        try await ServeProcessTests.runCLI([
            "ping", "--address", "127.0.0.1:\(port)", "--ca-file", caFile, "--timeout", "5",
        ]).0 == 0
    }

    /// Whether the console on `port` completes a TLS handshake trusting `caFile` only.
    static func consoleTrusted(port: Int, caFile: String) async throws -> Bool {
        let check = """
            import socket, ssl, sys
            context = ssl.create_default_context(cafile=sys.argv[2])
            with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    tls.sendall(b"GET /sign-in HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n")
                    sys.exit(0 if tls.recv(12).startswith(b"HTTP/1.1 200") else 1)
            """
        return try await offCooperativePool {
            try ChildProcess("/usr/bin/python3", ["-c", check, "\(port)", caFile]).waitUntilExit() == 0
        }
    }

    /// The master key id that sealed the SMTP password of each server, by name.
    static func sealingKeys(_ database: TestDatabase) async throws -> [String: UInt32] {
        try await database.withClient { postgres in
            var keys: [String: UInt32] = [:]
            let rows = try await postgres.query(
                "SELECT name, password_sealed FROM output_servers",
                logger: Logger(label: "test")
            )
            for try await (name, sealed) in rows.decode((String, String?).self) {
                keys[name] = sealed.flatMap(Vault.keyID(of:))
            }
            return keys
        }
    }

    @Test(
        "SIGHUP swaps the certificate for new connections (RPC and console), keeps open ones, and seals with the new active key; a bad ring is refused"
    )
    func reload() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable.path),
            "swift build first"
        )
        let first = try makeTestCertificate(in: self.directory, prefix: "first-")
        let second = try makeTestCertificate(in: self.directory, prefix: "second-")
        func install(_ files: (certificate: String, key: String)) throws {
            for (from, to) in [(files.certificate, self.path("cert.pem")), (files.key, self.path("key.pem"))] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install(first)
        let ring = MasterKeyRing.generate(id: 1).text
        try ring.write(toFile: self.path("master-keys"), atomically: true, encoding: .utf8)

        try await TestDatabase.withFresh { database in
            let port = try await ServeProcessTests.freePort()
            let consolePort = try await ServeProcessTests.freePort()
            let key = APIKey.generate().presentedForm.exposedValue
            let server = try ChildProcess(
                ServeProcessTests.executable.path,
                ["serve"],
                environment: ServeEnvironment.make(
                    database: database,
                    port: port,
                    operatorKey: key,
                    [
                        // The file is read first (and again on SIGHUP).
                        "MAILGATE_MASTER_KEYS_FILE": self.path("master-keys"),
                        "MAILGATE_TLS_CERT": self.path("cert.pem"),
                        "MAILGATE_TLS_KEY": self.path("key.pem"),
                        "MAILGATE_CONSOLE_LISTEN": "127.0.0.1:\(consolePort)",
                        "MAILGATE_LOG_FORMAT": "json",
                        "MAILGATE_LOG_LEVEL": "debug",
                    ]
                ),
                capture: .standardError
            )
            let logText = Task { String(decoding: await server.readOutput(), as: UTF8.self) }
            defer { server.stopInBackground() }

            _ = try await eventually(limit: .seconds(30)) {
                try await Self.pings(port: port, caFile: first.certificate) ? true : nil
            }
            #expect(
                try await !Self.pings(port: port, caFile: second.certificate),
                "the second certificate is not served yet"
            )
            #expect(try await Self.consoleTrusted(port: consolePort, caFile: first.certificate))

            // An open connection, made before the reload.
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(first.certificate)
            let client = MailgateClient(configuration: .init(port: port, apiKey: key, tls: tls))
            defer { Task { await client.close() } }
            var tenant = Mailgate_V1_CreateTenantRequest()
            tenant.slug = "acme"
            tenant.displayName = "Acme"
            _ = try await client.createTenant(tenant)
            func putServer(_ name: String) async throws {
                var request = Mailgate_V1_PutServerRequest()
                request.tenant = "acme"
                request.name = name
                request.host = "smtp.acme.example"
                request.port = 587
                request.security = .starttls
                request.authType = .basic
                request.username = "billing@acme.example"
                request.password.value = "smtp-password-\(name)"
                request.senderAddress = "billing@acme.example"
                _ = try await client.putServer(request)
            }
            try await putServer("before")

            // New certificate and a second master key, then SIGHUP.
            try install(second)
            try (ring + "\n" + MasterKeyRing.generate(id: 2).text).write(
                toFile: self.path("master-keys"),
                atomically: true,
                encoding: .utf8
            )
            server.kill(SIGHUP)
            _ = try await eventually(limit: .seconds(20)) {
                try await Self.pings(port: port, caFile: second.certificate) ? true : nil
            }
            #expect(
                try await !Self.pings(port: port, caFile: first.certificate),
                "new connections get the new certificate"
            )
            #expect(try await Self.consoleTrusted(port: consolePort, caFile: second.certificate), "the console's too")
            #expect(try await !Self.consoleTrusted(port: consolePort, caFile: first.certificate))
            try await putServer("after")
            #expect(
                try await Self.sealingKeys(database) == ["before": 1, "after": 2],
                "the open connection still works, and key 2 seals now"
            )

            // A ring without the active key is refused; everything stays as it was.
            try ring.write(toFile: self.path("master-keys"), atomically: true, encoding: .utf8)
            server.kill(SIGHUP)
            try await Task.sleep(for: .milliseconds(500))
            try await putServer("refused")
            #expect(try await Self.sealingKeys(database)["refused"] == 2)
            #expect(try await Self.pings(port: port, caFile: second.certificate))

            server.kill(SIGTERM)
            #expect(await server.exitStatus(within: .seconds(60)) == 0)
            let logs = await logText.value
            #expect(logs.contains("\"message\":\"settings reloaded\""))
            #expect(logs.contains("\"message\":\"reload refused; the running settings stay\""))
            #expect(logs.contains("lacks master key 2"))
            #expect(!logs.contains(key) && !logs.contains("smtp-password-"), "no secret in the logs")

            // JSON logs: one object per line; a call's lines share its request id, and the
            // call ends with its method, code and duration.
            let objects = logs.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            }
            #expect(objects.count == logs.split(separator: "\n").count, "every line is a JSON object")
            let created = try #require(
                objects.first { $0["message"] as? String == "server created" && $0["server"] as? String == "before" }
            )
            #expect(created["tenant"] as? String == "acme")
            let requestID = try #require(created["request_id"] as? String)
            let finished = try #require(
                objects.first {
                    $0["message"] as? String == "call finished" && $0["request_id"] as? String == requestID
                }
            )
            #expect(finished["method"] as? String == "/mailgate.v1.Admin/PutServer")
            #expect(finished["code"] as? String == "OK")
            #expect(Double(finished["duration_ms"] as? String ?? "") != nil)
            #expect(finished["key_id"] as? String == APIKey(parsing: key)?.id)
            #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String })
        }
    }
}

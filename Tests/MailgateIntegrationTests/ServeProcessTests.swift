import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateTestSupport
import NIOCore
import NIOPosix
import Testing

/// The `mailgate` executable as an operator runs it: configured by environment,
/// pinged by the CLI, stopped with SIGTERM.
@Suite("mailgate serve as a process")
struct ServeProcessTests {
    static var executable: URL { repositoryRoot().appendingPathComponent(".build/debug/mailgate") }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    static func runCLI(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        try await runProgram(Self.executable, arguments, environment: environment)
    }

    @Test("serve starts from environment settings, answers the CLI, and exits 0 on SIGTERM")
    func serveAndStop() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "swift build first")
        try await TestDatabase.withFresh { database in
            let port = try await Self.freePort()
            let key = APIKey.generate().presentedForm.exposedValue
            let environment = ServeEnvironment.make(
                database: database,
                port: port,
                operatorKey: key,
                ["MAILGATE_OPS_LISTEN": "127.0.0.1:0", "MAILGATE_LOG_FORMAT": "json"]
            )
            let server = try ChildProcess(
                Self.executable.path,
                ["serve"],
                environment: environment,
                capture: .standardError
            )
            // Drained all along: a full pipe would stop the server mid-log.
            let logText = Task { String(decoding: await server.readOutput(), as: UTF8.self) }
            defer { server.stopInBackground() }

            let client = MailgateClient(configuration: .init(port: port))
            var serving = false
            for _ in 0..<200 where !serving {
                serving = (try? await client.check().status) == .serving
                if !serving { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(serving)
            await client.close()

            let ping = try await Self.runCLI(["ping", "--address", "127.0.0.1:\(port)", "--format", "json"])
            #expect(ping.0 == 0)
            #expect(ping.1.contains("\"status\":\"SERVING\""))
            let whoami = try await Self.runCLI(
                ["whoami", "--address", "127.0.0.1:\(port)"],
                environment: ["MAILGATE_KEY": key]
            )
            #expect(whoami.0 == 0)
            #expect(whoami.1.contains("operator"))
            let anonymous = try await Self.runCLI(["whoami", "--address", "127.0.0.1:\(port)"])
            #expect(anonymous.0 == 2)

            server.kill(SIGTERM)
            let status = await server.exitStatus(within: .seconds(60))
            #expect(status == 0, "serve exits 0 on SIGTERM")
            let text = await logText.value
            #expect(text.contains("\"message\":\"RPC server stopped\""))
            #expect(!text.contains(key), "the operator key never appears in logs")
        }
    }

    /// Runs `mailgate serve` with `environment`; returns its exit status and standard error.
    static func serveRefusal(_ environment: [String: String]) throws -> (status: Int32, errors: String) {
        let process = try ChildProcess(
            Self.executable.path,
            ["serve"],
            environment: environment,
            capture: .standardError
        )
        let text = String(decoding: process.output?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        return (process.waitUntilExit(), text)
    }

    @Test("serve refuses to start without a database and says why")
    func missingDatabase() throws {
        let (status, text) = try Self.serveRefusal([:])
        #expect(status == 78)
        #expect(text.contains("MAILGATE_DATABASE_URL"))
    }

    @Test("serve with a database that refuses connections exits 1 with one clear line, not a crash")
    func unreachableDatabase() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "swift build first")
        let port = try await Self.freePort()
        let (status, text) = try await offCooperativePool {
            try Self.serveRefusal([
                "MAILGATE_DATABASE_URL": "postgres://postgres@127.0.0.1:\(port)/none?sslmode=disable",
                "MAILGATE_MASTER_KEYS": MasterKeyRing.generate().text,
                "MAILGATE_LISTEN": "127.0.0.1:0",
                "MAILGATE_OPS_LISTEN": "off",
                "MAILGATE_CONSOLE_LISTEN": "off",
                "MAILGATE_MIGRATIONS_DIR": repositoryRoot().appendingPathComponent("migrations").path,
                "MAILGATE_LOG_LEVEL": "warning",
            ])
        }
        #expect(status == 1)
        #expect(text.contains("check MAILGATE_DATABASE_URL"))
        #expect(!text.contains("Fatal error") && !text.contains("crashed"), "\(text.suffix(500))")
    }

    @Test("serve refuses to start without master keys and says how to make them")
    func missingMasterKeys() throws {
        let (status, text) = try Self.serveRefusal(["MAILGATE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"])
        #expect(status == 78)
        #expect(text.contains("MAILGATE_MASTER_KEYS_FILE"))
    }

    @Test("serve refuses a malformed master key ring without echoing it")
    func malformedMasterKeys() throws {
        let (status, text) = try Self.serveRefusal([
            "MAILGATE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "MAILGATE_MASTER_KEYS": "1:c2hvcnQtc2VjcmV0LWtleQ==",
        ])
        #expect(status == 78)
        #expect(text.contains("32 bytes"))
        #expect(!text.contains("c2hvcnQtc2VjcmV0LWtleQ"))
    }

    @Test(
        "serve refuses a listener beyond loopback without TLS, unless MAILGATE_ALLOW_PLAINTEXT=1 says so, with a warning"
    )
    func plaintextListener() throws {
        let settings = ["MAILGATE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "MAILGATE_LISTEN": "0.0.0.0:0"]
        let (status, text) = try Self.serveRefusal(settings)
        #expect(status == 78)
        #expect(text.contains("has no TLS") && text.contains("MAILGATE_ALLOW_PLAINTEXT=1"), "\(text)")

        // Allowed on purpose: past that check (to the next refusal, the missing master keys), with a warning.
        let (allowedStatus, allowedText) = try Self.serveRefusal(
            settings.merging(["MAILGATE_ALLOW_PLAINTEXT": "1"]) { $1 }
        )
        #expect(allowedStatus == 78)
        #expect(!allowedText.contains("has no TLS"))
        #expect(allowedText.contains("without TLS on a non-loopback address"), "\(allowedText)")
        #expect(allowedText.contains("MAILGATE_MASTER_KEYS_FILE"))

        // Loopback needs neither.
        let (loopbackStatus, loopbackText) = try Self.serveRefusal(
            settings.merging(["MAILGATE_LISTEN": "[::1]:0"]) { $1 }
        )
        #expect(loopbackStatus == 78)
        #expect(!loopbackText.contains("TLS"), "\(loopbackText)")
    }
}

import MailgateCore
import MailgateService
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import PostgresNIO
import Logging
import Testing

@Suite("Server end to end with PostgreSQL")
struct HealthEndToEndTests {
    @Test("Check needs no key and reports SERVING with the version")
    func check() async throws {
        try await withRunningApplication { _, port, _ in
            let client = MailgateClient(configuration: .init(port: port))
            let response = try await client.check()
            #expect(response.status == .serving)
            #expect(!response.serverVersion.isEmpty)
            await client.close()
        }
    }

    @Test("WhoAmI identifies the bootstrap operator key; a wrong or missing key is UNAUTHENTICATED")
    func whoAmI() async throws {
        try await withRunningApplication { _, port, _ in
            let client = MailgateClient(
                configuration: .init(port: port, apiKey: testOperatorKey.presentedForm.exposedValue)
            )
            let response = try await client.whoAmI()
            #expect(response.keyID == testOperatorKey.id)
            #expect(response.scope == "operator")

            let stranger = MailgateClient(
                configuration: .init(
                    port: port,
                    apiKey: "mgk_\(testOperatorKey.id)_0000000000000000000000000000000000000000"
                )
            )
            let wrong = await #expect(throws: RPCError.self) { _ = try await stranger.whoAmI() }
            #expect(wrong?.code == .unauthenticated)
            #expect(wrong?.reason == "INVALID_API_KEY")

            let anonymous = MailgateClient(configuration: .init(port: port))
            let missing = await #expect(throws: RPCError.self) { _ = try await anonymous.whoAmI() }
            #expect(missing?.code == .unauthenticated)
            #expect(missing?.reason == "MISSING_CREDENTIALS")

            let malformed = MailgateClient(configuration: .init(port: port, apiKey: "not-a-key"))
            let bad = await #expect(throws: RPCError.self) { _ = try await malformed.whoAmI() }
            #expect(bad?.reason == "MALFORMED_API_KEY")
            for client in [client, stranger, anonymous, malformed] { await client.close() }
        }
    }

    @Test("the server applied the migrations and records its heartbeat")
    func heartbeat() async throws {
        try await withRunningApplication(heartbeatInterval: .milliseconds(100)) { _, _, database in
            try await database.withClient { client in
                let logger = Logger(label: "test")
                var workers = 0
                for _ in 0..<50 {
                    let rows = try await client.query(
                        "SELECT count(*)::int FROM workers WHERE heartbeat_at > now() - interval '1 minute'",
                        logger: logger
                    )
                    for try await count in rows.decode(Int.self) { workers = count }
                    if workers == 1 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(workers == 1)
            }
        }
    }

    @Test("the client reconnects by itself after the server closed its idle connection")
    func reconnect() async throws {
        try await withRunningApplication(configureRPC: { $0.idleTimeout = .milliseconds(400) }) {
            application,
            port,
            _ in
            let client = MailgateClient(configuration: .init(port: port))
            _ = try await client.check()
            // Generous: under a loaded test run the idle timer and the close take a while.
            for _ in 0..<250 where application.rpcServer.connectionCount > 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(application.rpcServer.connectionCount == 0)
            #expect(try await client.check().status == .serving)
            await client.close()
        }
    }

    @Test("a method the server does not have answers UNIMPLEMENTED, not a fake success")
    func unknownMethod() async throws {
        try await withRunningApplication { _, port, _ in
            let client = MailgateClient(
                configuration: .init(port: port, apiKey: testOperatorKey.presentedForm.exposedValue)
            )
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.call(
                    "/mailgate.v1.Admin/NoSuchMethod",
                    Mailgate_V1_GetServerRequest(),
                    responseType: Mailgate_V1_OutputServer.self
                )
            }
            #expect(error?.code == .unimplemented)
            await client.close()
        }
    }
}

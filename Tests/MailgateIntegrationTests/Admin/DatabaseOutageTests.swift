import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import PostgresNIO
import Testing

@Suite("Database outage")
struct DatabaseOutageTests {
    @Test("while the database refuses connections calls answer UNAVAILABLE with a retry hint, then work again")
    func outageAndRecovery() async throws {
        try await AdminFixture.run(ops: OpsConfiguration(port: 0)) { fixture in
            try await fixture.createTenant("outage")
            try await fixture.putBasicServer("relay", tenant: "outage")
            var get = Mailgate_V1_GetServerRequest()
            get.tenant = "outage"
            get.server = "relay"

            try await fixture.database.setConnections(allowed: false)
            do {
                try await self.duringOutage(fixture, get: get)
            } catch {
                // Whatever failed, the database takes connections again, or the shutdown would wait on it.
                try? await fixture.database.setConnections(allowed: true)
                throw error
            }
        }
    }

    private func duringOutage(_ fixture: AdminFixture, get: Mailgate_V1_GetServerRequest) async throws {
        // A call that started before the outage was noticed may wait for a connection until its
        // deadline; once the health probe (every second, 2 s timeout) sees it, calls fail at once.
        var configuration = MailgateClient.Configuration(
            port: fixture.port,
            apiKey: testOperatorKey.presentedForm.exposedValue
        )
        configuration.defaultTimeout = .seconds(3)
        let client = MailgateClient(configuration: configuration)
        // Once the health probe (two misses a second apart) has seen the outage, /readyz says so…
        let opsPort = try await fixture.opsPort()
        let unready = try await eventually(limit: .seconds(20)) {
            let reply = try await offCooperativePool {
                try RawHTTP.request("GET", host: "127.0.0.1", port: opsPort, path: "/readyz")
            }
            return reply.status == 503 ? reply : nil
        }
        #expect(String(decoding: unready.body, as: UTF8.self).contains("database unreachable"))
        // …and calls fail at once with a retry hint instead of waiting for a connection: with a
        // 15 s deadline, waiting on the pool would end in DEADLINE_EXCEEDED after 15 s.
        var patient = configuration
        patient.defaultTimeout = .seconds(15)
        let patientClient = MailgateClient(configuration: patient)
        let start = ContinuousClock.now
        let error = try #require(await expectRPCErrorQuietly { _ = try await patientClient.getServer(get) })
        await patientClient.close()
        #expect(ContinuousClock.now - start < .seconds(8), "refused at once, not after a wait")
        #expect(error.code == .unavailable)
        #expect(error.reason == "DATABASE_UNAVAILABLE")
        #expect(error.retryAfterMilliseconds > 0)

        try await fixture.database.setConnections(allowed: true)
        // The pool's reconnect backoff after many refused connections can reach tens of seconds on a
        // loaded machine. Each try has the client's 3 s deadline, so a call queued for a connection
        // cannot hold the test past its limit.
        let server = try await eventually(limit: .seconds(90)) { try? await client.getServer(get) }
        #expect(server.name == "relay")
        let ready = try await eventually(limit: .seconds(10)) {
            let reply = try await offCooperativePool {
                try RawHTTP.request("GET", host: "127.0.0.1", port: opsPort, path: "/readyz")
            }
            return reply.status == 200 ? reply : nil
        }
        #expect(String(decoding: ready.body, as: UTF8.self) == "ready\n")
        await client.close()
    }
}

import Foundation
import MailgateClient
import MailgateProto
import MailgateTestSupport
import Testing

/// A replica told to stop while PostgreSQL is away (a restart, a failover) stops within
/// seconds: its delivery workers, waiting for connections the pool cannot make, give their
/// claims 5 s and then up (a claim's messages only wait for its lease), instead of holding
/// the stop up for as long as the pool or the lease lets them wait.
@Suite("A stop while the database is away")
struct StopDuringOutageTests {
    @Test("SIGTERM while the database refuses connections: the application stops within seconds, not after the lease")
    func stopsWithoutTheDatabase() async throws {
        try await TestDatabase.withFresh { database in
            var stopBegan = ContinuousClock.now
            try await MailFixture.run(workers: 2, lease: .seconds(300), database: database) { fixture in
                let sent = try await fixture.client.sendMail(MailFixture.message())
                _ = try await fixture.waitFor(sent.messageID, state: .sent)
                try await database.setAcceptingConnections(false)
                // The workers poll every 100 ms: each is soon in a claim that waits for a connection.
                try await Task.sleep(for: .seconds(2))
                stopBegan = ContinuousClock.now
            }
            let stopTook = ContinuousClock.now - stopBegan
            try await database.setAcceptingConnections(true)
            // 5 s for a claim under way, 5 s for the heartbeat's goodbye: about 11 s. With claims bound
            // by the lease alone the stop took about 33 s here (until the pool failed the waiting
            // requests), and nothing but the lease (300 s) bounded it.
            #expect(stopTook < .seconds(25), "the stop took \(stopTook)")
        }
    }
}

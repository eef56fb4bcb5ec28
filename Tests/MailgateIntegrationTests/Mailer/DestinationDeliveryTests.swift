import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

/// Output servers cannot be pointed at the service's own network: a non-public address is
/// refused when the server is put, and a name that resolves to one is refused when
/// delivery connects. That is a fault the operator can fix, so the mail waits.
@Suite("Destinations: no output server inside the network unless allowed")
struct DestinationDeliveryTests {
    @Test(
        "PutServer refuses a host or token URL on a non-public address, naming the field",
        arguments: [
            ("host", "169.254.169.254"), ("host", "[::ffff:10.0.0.1]"), ("host", "192.168.1.20"),
            ("oauth.token_url", "https://169.254.169.254/latest/meta-data"),
        ]
    )
    func refusedWhenPut(field: String, value: String) async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("acme")
            var request =
                field == "host"
                ? AdminFixture.basicServerRequest("inside", tenant: "acme")
                : AdminFixture.microsoftServerRequest("inside", tenant: "acme", clientSecret: "a-client-secret")
            if field == "host" { request.host = value } else { request.oauth.tokenURL = value }
            let error = await expectRPCError { _ = try await fixture.operatorClient.putServer(request) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == [field])
            #expect(error?.fieldViolations.first?.description.contains("MAILGATE_ALLOWED_PRIVATE_NETWORKS") == true)
            #expect(try await fixture.operatorClient.listServers(.with { $0.tenant = "acme" }).servers.isEmpty)
        }
    }

    @Test(
        "a server whose name comes to resolve to this machine is refused at connect time: mail waits, one event, ValidateServer says why; allowed, it goes out"
    )
    func resolvedToLoopback() async throws {
        // This replica accepts mail and delivers nothing.
        try await MailFixture.run(workers: 0, blockWait: .seconds(600)) { fixture in
            // The name was public when put; its DNS now answers with a loopback address.
            _ = try await fixture.admin.database.withClient { postgres in
                try await postgres.query("UPDATE output_servers SET host = 'localhost'", logger: .init(label: "test"))
            }
            let id = try await fixture.client.sendMail(MailFixture.message()).messageID

            var strict = MailFixture.settings(caFile: fixture.caFile, workers: 2)
            strict.destinations = .publicOnly
            try await AdminFixture.run(mailer: strict, database: fixture.admin.database) { replica in
                try await ServerFaultTests.waitsFor("DESTINATION_NOT_ALLOWED", id, in: fixture)
                let blocked = try await fixture.events(kind: "server_delivery_blocked")
                #expect(blocked.count == 1)
                #expect(blocked.first?.message.contains("DESTINATION_NOT_ALLOWED") == true)
                let client = replica.client(apiKey: try await replica.createTenantKey("acme"))
                let report = try await client.validate("relay", testMessage: false)
                #expect(try report.check("dns").reason == "DESTINATION_NOT_ALLOWED")
                #expect(try report.check("dns").detail.contains("loopback"))
                // Which inside addresses a name has is not the tenant's to learn.
                #expect(try !report.check("dns").detail.contains("127.0.0.1"))
                await client.close()
            }
            #expect(try fixture.smtp.received().isEmpty)

            // The operator allows loopback: a replica that may connect validates and sends at once.
            try await AdminFixture.run(
                mailer: MailFixture.settings(caFile: fixture.caFile, workers: 2),
                database: fixture.admin.database
            ) { allowed in
                let client = allowed.client(apiKey: try await allowed.createTenantKey("acme"))
                let passed = try await client.validate("relay", testMessage: false)
                #expect(passed.ok, "\(passed.outline)")
                _ = try await fixture.waitFor(id, state: .sent, limit: .seconds(20))
                await client.close()
            }
            #expect(try fixture.smtp.received().count == 1)
        }
    }
}

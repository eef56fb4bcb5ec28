import Foundation
import SwiftProtobuf
import MailgateTestSupport
import MailgateService
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import Testing

@Suite("Events")
struct EventTests {
    @Test(
        "admin changes write audit events with the actor's key id, newest first, filterable and paged, without secret values"
    )
    func auditTrail() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("audited")
            let password = "pa55-\(UUID().uuidString)"
            let server = try await fixture.putBasicServer("audit", tenant: "audited", password: password)
            var update = AdminFixture.basicServerRequest("audit", tenant: "audited", password: password + "-new")
            update.port = 465
            update.security = .tls
            _ = try await fixture.operatorClient.putServer(update)
            let keySecret = try await fixture.createTenantKey("audited")
            var revoke = Mailgate_V1_RevokeApiKeyRequest()
            revoke.keyID = APIKey(parsing: keySecret)!.id
            _ = try await fixture.operatorClient.revokeApiKey(revoke)
            var delete = Mailgate_V1_DeleteServerRequest()
            delete.tenant = "audited"
            delete.server = "audit"
            _ = try await fixture.operatorClient.deleteServer(delete)

            var request = Mailgate_V1_ListEventsRequest()
            request.tenant = "audited"
            let events = try await fixture.operatorClient.listEvents(request).events
            #expect(
                events.map(\.kind) == [
                    "server_deleted", "api_key_revoked", "api_key_created", "server_updated", "server_created",
                    "tenant_created",
                ]
            )
            #expect(events.allSatisfy { $0.actor == testOperatorKey.id })
            let updated = try #require(events.first { $0.kind == "server_updated" })
            #expect(updated.serverID == server.id)
            #expect(updated.details["secrets_changed"] == "password")
            #expect(updated.details["changed"] == "port,security")
            let bytes = try Mailgate_V1_ListEventsResponse.with { $0.events = events }.serializedData()
            #expect(bytes.range(of: Data(password.utf8)) == nil)
            #expect(bytes.range(of: Data(APIKey(parsing: keySecret)!.secret.exposedValue.utf8)) == nil)

            request.kind = "server_updated"
            #expect(try await fixture.operatorClient.listEvents(request).events.count == 1)
            request.kind = ""
            request.minSeverity = .warning
            #expect(
                try await fixture.operatorClient.listEvents(request).events.map(\.kind) == [
                    "server_deleted", "api_key_revoked",
                ]
            )
            request.minSeverity = .unspecified
            request.server = server.id
            let deletedServer = await expectRPCError { _ = try await fixture.operatorClient.listEvents(request) }
            #expect(deletedServer?.code == .notFound, "events can be filtered only by servers that exist")

            request.server = ""
            request.pageSize = 4
            let first = try await fixture.operatorClient.listEvents(request)
            #expect(first.events.count == 4)
            request.pageToken = first.nextPageToken
            let second = try await fixture.operatorClient.listEvents(request)
            #expect(second.events.map(\.kind) == ["server_created", "tenant_created"])
            #expect(second.nextPageToken.isEmpty)
        }
    }
}

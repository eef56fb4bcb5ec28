import Foundation
import SwiftProtobuf
import MailgateTestSupport
import MailgateService
import MailgateClient
import MailgateProto
import MailgateRPC
import Testing

@Suite("Tenant isolation")
struct IsolationTests {
    @Test("tenant B probing tenant A's server ids, names, keys and events gets NOT_FOUND")
    func probing() async throws {
        try await AdminFixture.run { fixture in
            let tenantA = try await fixture.createTenant("tenant-a")
            try await fixture.createTenant("tenant-b")
            let serverA = try await fixture.putBasicServer("a-only", tenant: "tenant-a")
            let serverB = try await fixture.putBasicServer("b-only", tenant: "tenant-b")
            let clientB = fixture.client(apiKey: try await fixture.createTenantKey("tenant-b"))

            for probe in [serverA.id, "a-only", serverA.id.uppercased()] {
                var get = Mailgate_V1_GetServerRequest()
                get.server = probe
                let error = await expectRPCError { _ = try await clientB.getServer(get) }
                #expect(error?.code == .notFound, "GetServer \(probe)")
                get.tenant = "tenant-a"
                let named = await expectRPCError { _ = try await clientB.getServer(get) }
                #expect(named?.code == .notFound, "GetServer \(probe) naming tenant A")
                get.tenant = tenantA.id
                let byID = await expectRPCError { _ = try await clientB.getServer(get) }
                #expect(byID?.code == .notFound, "GetServer \(probe) naming tenant A by id")
            }
            #expect(try await clientB.listServers(.init()).servers.map(\.id) == [serverB.id])

            var events = Mailgate_V1_ListEventsRequest()
            events.server = serverA.id
            let eventProbe = await expectRPCError { _ = try await clientB.listEvents(events) }
            #expect(eventProbe?.code == .notFound)
            events.server = ""
            let visible = try await clientB.listEvents(events).events
            #expect(!visible.isEmpty)
            #expect(visible.allSatisfy { $0.tenantID != tenantA.id })

            var keys = Mailgate_V1_ListApiKeysRequest()
            keys.tenant = "tenant-a"
            let keyProbe = await expectRPCError { _ = try await clientB.listApiKeys(keys) }
            #expect(keyProbe?.code == .notFound)

            var delete = Mailgate_V1_DeleteServerRequest()
            delete.server = serverA.id
            let deleteProbe = await expectRPCError { _ = try await clientB.deleteServer(delete) }
            #expect(deleteProbe?.code == .permissionDenied)

            // An operator acting in tenant B is scoped to B just the same.
            let operatorInB = fixture.operatorClient(actingIn: "tenant-b")
            var get = Mailgate_V1_GetServerRequest()
            get.server = serverA.id
            let operatorProbe = await expectRPCError { _ = try await operatorInB.getServer(get) }
            #expect(operatorProbe?.code == .notFound)
            delete.tenant = "tenant-b"
            let operatorDelete = await expectRPCError { _ = try await operatorInB.deleteServer(delete) }
            #expect(operatorDelete?.code == .notFound)

            // A's server is untouched.
            get.tenant = "tenant-a"
            #expect(try await fixture.operatorClient.getServer(get).version == serverA.version)
            await clientB.close()
            await operatorInB.close()
        }
    }

    @Test("operator calls on tenant data must name a tenant")
    func operatorMustNameTenant() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("named")
            let error = await expectRPCError { _ = try await fixture.operatorClient.listServers(.init()) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.reason == "TENANT_REQUIRED")
            var list = Mailgate_V1_ListServersRequest()
            list.tenant = "missing-tenant"
            let missing = await expectRPCError { _ = try await fixture.operatorClient.listServers(list) }
            #expect(missing?.code == .notFound)
        }
    }
}

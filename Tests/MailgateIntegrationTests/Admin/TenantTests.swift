import Foundation
import SwiftProtobuf
import MailgateTestSupport
import MailgateService
import MailgateClient
import MailgateProto
import MailgateRPC
import Testing

@Suite("Tenants over RPC")
struct TenantTests {
    @Test("an operator creates, reads, lists and updates tenants")
    func lifecycle() async throws {
        try await AdminFixture.run { fixture in
            let created = try await fixture.createTenant("acme", contacts: ["Ops@Bücher.example"])
            #expect(created.slug == "acme")
            #expect(created.status == .active)
            #expect(created.alertContacts == ["Ops@xn--bcher-kva.example"])
            #expect(UUID(uuidString: created.id) != nil)

            var get = Mailgate_V1_GetTenantRequest()
            get.tenant = created.id
            #expect(try await fixture.operatorClient.getTenant(get).slug == "acme")
            get.tenant = "acme"
            #expect(try await fixture.operatorClient.getTenant(get).id == created.id)

            for slug in ["beta", "gamma", "delta"] { try await fixture.createTenant(slug) }
            var list = Mailgate_V1_ListTenantsRequest()
            list.pageSize = 3
            let first = try await fixture.operatorClient.listTenants(list)
            #expect(first.tenants.map(\.slug) == ["acme", "beta", "delta"])
            list.pageToken = first.nextPageToken
            let second = try await fixture.operatorClient.listTenants(list)
            #expect(second.tenants.map(\.slug) == ["gamma"])
            #expect(second.nextPageToken.isEmpty)

            var update = Mailgate_V1_UpdateTenantRequest()
            update.tenant = "acme"
            update.displayName = "ACME Corp"
            update.updateAlertContacts = true
            update.alertContacts = []
            let updated = try await fixture.operatorClient.updateTenant(update)
            #expect(updated.displayName == "ACME Corp")
            #expect(updated.alertContacts.isEmpty)
            #expect(updated.status == .active)
        }
    }

    @Test("invalid slugs, names and contacts are refused with field violations; a taken slug is ALREADY_EXISTS")
    func validation() async throws {
        try await AdminFixture.run { fixture in
            for slug in [
                "ab", "Upper", "has space", "under_score", String(repeating: "a", count: 64),
                UUID().uuidString.lowercased(),
            ] {
                var request = Mailgate_V1_CreateTenantRequest()
                request.slug = slug
                request.displayName = "x"
                let error = await expectRPCError { _ = try await fixture.operatorClient.createTenant(request) }
                #expect(error?.code == .invalidArgument, "slug \(slug)")
                #expect(error?.fieldViolations.map(\.field) == ["slug"], "slug \(slug)")
            }
            var request = Mailgate_V1_CreateTenantRequest()
            request.slug = "fine-slug"
            request.displayName = "line\r\nbreak"
            request.alertContacts = ["not-an-address"]
            let error = await expectRPCError { _ = try await fixture.operatorClient.createTenant(request) }
            #expect(Set(error?.fieldViolations.map(\.field) ?? []) == ["display_name", "alert_contacts[0]"])

            try await fixture.createTenant("taken")
            let duplicate = await expectRPCError { try await fixture.createTenant("taken") }
            #expect(duplicate?.code == .alreadyExists)

            var list = Mailgate_V1_ListTenantsRequest()
            list.pageToken = "%%%"
            let badToken = await expectRPCError { _ = try await fixture.operatorClient.listTenants(list) }
            #expect(badToken?.code == .invalidArgument)
        }
    }

    @Test("a disabled tenant's keys get PERMISSION_DENIED TENANT_DISABLED, and work again once enabled")
    func disabledTenant() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("sleepy")
            let key = try await fixture.createTenantKey("sleepy")
            let client = fixture.client(apiKey: key)
            #expect(try await client.whoAmI().tenantSlug == "sleepy")

            var disable = Mailgate_V1_UpdateTenantRequest()
            disable.tenant = "sleepy"
            disable.status = .disabled
            #expect(try await fixture.operatorClient.updateTenant(disable).status == .disabled)
            let refused = try await eventually { () async -> RPCError? in
                await expectRPCErrorQuietly { _ = try await client.whoAmI() }
            }
            #expect(refused.code == .permissionDenied)
            #expect(refused.reason == "TENANT_DISABLED")

            disable.status = .active
            _ = try await fixture.operatorClient.updateTenant(disable)
            let slug = try await eventually { () async -> String? in try? await client.whoAmI().tenantSlug }
            #expect(slug == "sleepy")
            await client.close()
        }
    }

    @Test("tenant keys cannot call operator methods, and see only their own tenant")
    func tenantKeyPermissions() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("alpha")
            try await fixture.createTenant("bravo")
            let client = fixture.client(apiKey: try await fixture.createTenantKey("alpha"))

            let create = await expectRPCError { _ = try await client.createTenant(.init()) }
            #expect(create?.code == .permissionDenied)
            #expect(create?.reason == "OPERATOR_KEY_REQUIRED")
            let list = await expectRPCError { _ = try await client.listTenants(.init()) }
            #expect(list?.code == .permissionDenied)
            var update = Mailgate_V1_UpdateTenantRequest()
            update.tenant = "alpha"
            update.status = .disabled
            let selfDisable = await expectRPCError { _ = try await client.updateTenant(update) }
            #expect(selfDisable?.code == .permissionDenied)

            #expect(try await client.getTenant(.init()).slug == "alpha")
            var other = Mailgate_V1_GetTenantRequest()
            other.tenant = "bravo"
            let foreign = await expectRPCError { _ = try await client.getTenant(other) }
            #expect(foreign?.code == .notFound)
            other.tenant = "no-such-tenant"
            let missing = await expectRPCError { _ = try await client.getTenant(other) }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.replacingOccurrences(of: "no-such-tenant", with: "bravo") == foreign?.message)

            let override = fixture.client(apiKey: try await fixture.createTenantKey("alpha"), tenant: "bravo")
            let switched = await expectRPCError { _ = try await override.getTenant(.init()) }
            #expect(switched?.code == .permissionDenied)
            #expect(switched?.reason == "TENANT_OVERRIDE_NOT_ALLOWED")
            await client.close()
            await override.close()
        }
    }
}

/// Like `expectRPCError`, without recording an issue when the call succeeds.
func expectRPCErrorQuietly(_ body: () async throws -> Void) async -> RPCError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? RPCError
    }
}

/// Polls `probe` every 50 ms until it gives a value, for at most `limit`.
func eventually<Value>(limit: Duration = .seconds(5), _ probe: () async throws -> Value?) async throws -> Value {
    let deadline = ContinuousClock.now + limit
    while true {
        if let value = try await probe() { return value }
        if ContinuousClock.now > deadline { throw TimedOut() }
        try await Task.sleep(for: .milliseconds(50))
    }
}

struct TimedOut: Error {}

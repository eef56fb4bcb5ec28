import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import SwiftProtobuf
import Testing

/// Per-tenant quotas set by operators: beyond one, SendMail answers RESOURCE_EXHAUSTED
/// `TENANT_QUOTA_EXCEEDED` naming the quota; GetTenant shows the usage beside each quota.
/// No delivery workers run here, so what is sent stays queued.
@Suite("Tenant quotas")
struct TenantQuotaTests {
    struct Tenant {
        let fixture: AdminFixture
        let client: MailgateClient

        func send(subject: String = "Invoice", text: String = "Hello", notBefore: Date? = nil, key: String = "")
            async throws(RPCError) -> Mailgate_V1_SendMailResponse
        {
            var request = Mailgate_V1_SendMailRequest()
            request.idempotencyKey = key
            var to = Mailgate_V1_EmailAddress()
            to.address = "alice@example.org"
            request.to = [to]
            request.subject = subject
            request.textBody = text
            if let notBefore { request.notBefore = Google_Protobuf_Timestamp(date: notBefore) }
            return try await self.client.sendMail(request)
        }

        func setQuotas(weight: UInt32? = nil, _ change: (inout Mailgate_V1_TenantQuotas) -> Void) async throws
            -> Mailgate_V1_Tenant
        {
            var update = Mailgate_V1_UpdateTenantRequest()
            update.tenant = "acme"
            update.updateQuotas = true
            change(&update.quotas)
            if let weight { update.deliveryWeight = weight }
            return try await self.fixture.operatorClient.updateTenant(update)
        }

        func get() async throws -> Mailgate_V1_Tenant {
            var request = Mailgate_V1_GetTenantRequest()
            request.tenant = "acme"
            return try await self.fixture.operatorClient.getTenant(request)
        }
    }

    func withTenant(database: TestDatabase? = nil, _ body: (Tenant) async throws -> Void) async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("acme")
            try await fixture.putBasicServer("relay", tenant: "acme")
            let client = fixture.client(apiKey: try await fixture.createTenantKey("acme"))
            do {
                try await body(Tenant(fixture: fixture, client: client))
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        }
    }

    static func expectQuotaRefusal(
        _ quota: String,
        retries: Bool,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ call: () async throws -> Void
    ) async {
        let error = await expectRPCErrorQuietly(call)
        #expect(error?.code == .resourceExhausted, sourceLocation: sourceLocation)
        #expect(error?.reason == "TENANT_QUOTA_EXCEEDED", sourceLocation: sourceLocation)
        #expect(error?.fieldViolations.map(\.field) == ["quotas.\(quota)"], sourceLocation: sourceLocation)
        #expect((error?.retryAfterMilliseconds ?? 0 > 0) == retries, sourceLocation: sourceLocation)
    }

    @Test("queued messages: the one beyond the quota is refused; once one leaves the queue, mail is taken again")
    func queuedMessages() async throws {
        try await self.withTenant { tenant in
            let updated = try await tenant.setQuotas { $0.queuedMessages = 3 }
            #expect(updated.quotas.queuedMessages == 3)
            #expect(updated.quotaOverrides.hasQueuedBytes == false, "only the quota set is the tenant's own")
            #expect(updated.quotas.queuedBytes == 10 << 30, "the others follow the defaults")
            var sent: [String] = []
            for number in 1...3 {
                sent.append(try await tenant.send(subject: "n\(number)", key: "k\(number)").messageID)
            }
            await Self.expectQuotaRefusal("queued_messages", retries: true) { _ = try await tenant.send() }
            // A retry of a request that was stored is answered with its message, quota or not.
            #expect(try await tenant.send(subject: "n3", key: "k3").messageID == sent[2])

            var cancel = Mailgate_V1_CancelMessageRequest()
            cancel.messageID = sent[0]
            _ = try await tenant.client.cancelMessage(cancel)
            // The count is at most a second old.
            _ = try await eventually(limit: .seconds(10)) { try? await tenant.send() }
            let usage = try await tenant.get().usage
            #expect(usage.queuedMessages == 3)
        }
    }

    @Test("queued bytes: a message that would take the tenant over its bytes is refused")
    func queuedBytes() async throws {
        try await self.withTenant { tenant in
            _ = try await tenant.setQuotas { $0.queuedBytes = 6000 }
            _ = try await tenant.send(text: String(repeating: "a", count: 3000))
            await Self.expectQuotaRefusal("queued_bytes", retries: true) {
                _ = try await tenant.send(text: String(repeating: "b", count: 3000))
            }
            let usage = try await tenant.get().usage
            #expect(usage.queuedMessages == 1)
            #expect(usage.queuedBytes > 3000 && usage.queuedBytes < 6000)
        }
    }

    @Test("not_before beyond the tenant's schedule-ahead quota is refused; within it, queued")
    func scheduleAhead() async throws {
        try await self.withTenant { tenant in
            _ = try await tenant.setQuotas { $0.scheduleAheadSeconds = 3600 }
            _ = try await tenant.send(notBefore: Date().addingTimeInterval(1800))
            await Self.expectQuotaRefusal("schedule_ahead_seconds", retries: false) {
                _ = try await tenant.send(notBefore: Date().addingTimeInterval(7200))
            }
        }
    }

    @Test("sends per minute are shared by the replicas: the second replica refuses what the first used up")
    func sendsPerMinuteAcrossReplicas() async throws {
        try await self.withTenant { tenant in
            _ = try await tenant.setQuotas { $0.sendsPerMinute = 5 }
            // A second replica on the same database, with the same tenant key.
            let key = try await tenant.fixture.createTenantKey("acme")
            try await AdminFixture.run(database: tenant.fixture.database) { second in
                let other = second.client(apiKey: key)
                let otherTenant = Tenant(fixture: tenant.fixture, client: other)
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "UTC")!
                func minute() -> Int { calendar.component(.minute, from: Date()) }
                // Both replicas must count one minute: a run that a minute's end cuts through is
                // started again in the next (each minute brings a new allowance).
                for attempt in 1...3 {
                    let seconds = calendar.component(.second, from: Date())
                    if seconds > 40 { try await Task.sleep(for: .seconds(61 - seconds)) }
                    let started = minute()
                    var admitted = 0
                    for _ in 1...3 where (try? await tenant.send()) != nil { admitted += 1 }
                    for _ in 1...2 where (try? await otherTenant.send()) != nil { admitted += 1 }
                    let refusedThere = await expectRPCErrorQuietly { _ = try await otherTenant.send() }
                    let refusedHere = await expectRPCErrorQuietly { _ = try await tenant.send() }
                    let usage = try await tenant.get().usage
                    if minute() != started, attempt < 3 { continue }
                    #expect(admitted == 5)
                    for error in [refusedThere, refusedHere] {
                        #expect(error?.code == .resourceExhausted)
                        #expect(error?.reason == "TENANT_QUOTA_EXCEEDED")
                        #expect(error?.fieldViolations.map(\.field) == ["quotas.sends_per_minute"])
                        #expect((error?.retryAfterMilliseconds ?? 0) > 0)
                    }
                    #expect(usage.sendsThisMinute == 5)
                    break
                }
                await other.close()
            }
        }
    }

    @Test("delivery weight and quotas: set, shown, and reset to the defaults; out-of-range weight refused")
    func settingsShownAndReset() async throws {
        try await self.withTenant { tenant in
            let set = try await tenant.setQuotas(weight: 5) { $0.sendsPerMinute = 0 }
            #expect(set.deliveryWeight == 5)
            #expect(set.quotaOverrides.hasSendsPerMinute && set.quotaOverrides.sendsPerMinute == 0)
            let reset = try await tenant.setQuotas { _ in }
            #expect(reset.quotaOverrides == Mailgate_V1_TenantQuotas())
            #expect(reset.quotas.queuedMessages == 1_000_000)
            #expect(reset.deliveryWeight == 5, "a quota update leaves the weight alone")

            var bad = Mailgate_V1_UpdateTenantRequest()
            bad.tenant = "acme"
            bad.deliveryWeight = 0
            let error = await expectRPCErrorQuietly { _ = try await tenant.fixture.operatorClient.updateTenant(bad) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["delivery_weight"])
        }
    }
}

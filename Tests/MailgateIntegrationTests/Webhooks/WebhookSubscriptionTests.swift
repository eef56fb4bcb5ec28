import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import SwiftProtobuf
import Testing

@Suite("Webhook subscriptions over RPC")
struct WebhookSubscriptionTests {
    @Test("operators manage any tenant's subscriptions; a tenant key reads only its own and changes none")
    func tenantIsolation() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("tenant-a")
            try await fixture.createTenant("tenant-b")
            let admin = fixture.operatorClient
            let a = try await admin.putWebhook("a-hook", tenant: "tenant-a", url: "https://hooks.example.com/a")
            let b = try await admin.putWebhook("b-hook", tenant: "tenant-b", url: "https://hooks.example.com/b")
            let clientA = fixture.client(apiKey: try await fixture.createTenantKey("tenant-a"))

            let own = try await clientA.listWebhookSubscriptions(.init())
            #expect(own.subscriptions.map(\.id) == [a.subscription.id])

            var listB = Mailgate_V1_ListWebhookSubscriptionsRequest()
            listB.tenant = "tenant-b"
            #expect(await expectRPCError { _ = try await clientA.listWebhookSubscriptions(listB) }?.code == .notFound)

            for probe in [b.subscription.id, "b-hook"] {
                var deliveries = Mailgate_V1_ListWebhookDeliveriesRequest()
                deliveries.subscription = probe
                let error = await expectRPCError { _ = try await clientA.listWebhookDeliveries(deliveries) }
                #expect(error?.code == .notFound, "deliveries of \(probe)")
                // Operators acting in tenant A do not reach tenant B's subscription either.
                deliveries.tenant = "tenant-a"
                let scoped = await expectRPCError { _ = try await admin.listWebhookDeliveries(deliveries) }
                #expect(scoped?.code == .notFound)
                var delete = Mailgate_V1_DeleteWebhookSubscriptionRequest()
                delete.tenant = "tenant-a"
                delete.subscription = probe
                #expect(
                    await expectRPCError { _ = try await admin.deleteWebhookSubscription(delete) }?.code == .notFound
                )
            }

            var put = Mailgate_V1_PutWebhookSubscriptionRequest()
            put.name = "mine"
            put.url = "https://hooks.example.com/mine"
            #expect(
                await expectRPCError { _ = try await clientA.putWebhookSubscription(put) }?.code == .permissionDenied
            )
            var delete = Mailgate_V1_DeleteWebhookSubscriptionRequest()
            delete.subscription = "a-hook"
            #expect(
                await expectRPCError { _ = try await clientA.deleteWebhookSubscription(delete) }?.code
                    == .permissionDenied
            )
            var rotate = Mailgate_V1_RotateWebhookSecretRequest()
            rotate.subscription = "a-hook"
            #expect(
                await expectRPCError { _ = try await clientA.rotateWebhookSecret(rotate) }?.code == .permissionDenied
            )

            var listAll = Mailgate_V1_ListWebhookSubscriptionsRequest()
            listAll.tenant = "tenant-b"
            #expect(try await admin.listWebhookSubscriptions(listAll).subscriptions.map(\.id) == [b.subscription.id])
            await clientA.close()
        }
    }

    @Test(
        "URLs on private, link-local or loopback addresses are refused with a field violation unless the operator allows them",
        arguments: [
            "http://10.0.0.5/hook", "https://192.168.1.10/hook", "https://169.254.169.254/latest/meta-data",
            "https://127.0.0.1:8443/hook", "https://localhost/hook", "https://[::1]/hook", "https://[fd00::1]/hook",
        ]
    )
    func privateDestinations(url: String) async throws {
        try await AdminFixture.run(mailer: MailerSettings(workers: 0, destinations: .publicOnly)) { fixture in
            try await fixture.createTenant("acme")
            let error = await expectRPCError {
                try await fixture.operatorClient.putWebhook("hook", tenant: "acme", url: url)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldViolations.map(\.field) == ["url"], "\(String(describing: error))")
            #expect(error?.fieldViolations.first?.description.contains("MAILGATE_ALLOWED_PRIVATE_NETWORKS") == true)
            var list = Mailgate_V1_ListWebhookSubscriptionsRequest()
            list.tenant = "acme"
            #expect(try await fixture.operatorClient.listWebhookSubscriptions(list).subscriptions.isEmpty)
        }
    }

    @Test("http is refused except to an allowed loopback address; other malformed input names its fields")
    func urlRules() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("acme")
            let admin = fixture.operatorClient
            for (url, field) in [
                ("http://hooks.example.com/x", "url"), ("ftp://hooks.example.com/x", "url"), ("not a url", "url"),
                ("https://user:pass@hooks.example.com/x", "url"), ("", "url"),
            ] {
                let error = await expectRPCError { try await admin.putWebhook("hook", tenant: "acme", url: url) }
                #expect(error?.code == .invalidArgument, "\(url)")
                #expect(error?.fieldViolations.map(\.field) == [field], "\(url)")
            }
            let badKind = await expectRPCError {
                try await admin.putWebhook(
                    "hook",
                    tenant: "acme",
                    url: "https://hooks.example.com",
                    kinds: ["Bad Kind"]
                )
            }
            #expect(badKind?.fieldViolations.map(\.field) == ["kinds[0]"])
            let badSeverity = await expectRPCError {
                try await admin.putWebhook(
                    "hook",
                    tenant: "acme",
                    url: "https://hooks.example.com",
                    minSeverity: .UNRECOGNIZED(9)
                )
            }
            #expect(badSeverity?.fieldViolations.map(\.field) == ["min_severity"], "not taken for info")
            for name in ["   ", UUID().uuidString] {
                let badName = await expectRPCError {
                    try await admin.putWebhook(name, tenant: "acme", url: "https://hooks.example.com")
                }
                #expect(badName?.fieldViolations.map(\.field) == ["name"], "\(name)")
            }
            // The fixture allows loopback (as --dev does): http to it is accepted.
            let created = try await admin.putWebhook("local", tenant: "acme", url: "http://127.0.0.1:9/hook")
            #expect(created.created)
        }
    }

    @Test("the secret is shown on create and rotate only; an update keeps it and List never shows it")
    func secretShownOnce() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("acme")
            let admin = fixture.operatorClient
            let created = try await admin.putWebhook("hook", tenant: "acme", url: "https://hooks.example.com/a")
            #expect(created.created && created.secret.hasPrefix("whsec_"))
            let updated = try await admin.putWebhook(
                "hook",
                tenant: "acme",
                url: "https://hooks.example.com/b",
                kinds: ["server_updated"],
                minSeverity: .warning
            )
            #expect(!updated.created && updated.secret.isEmpty)
            #expect(updated.subscription.id == created.subscription.id)
            #expect(updated.subscription.url == "https://hooks.example.com/b")
            #expect(updated.subscription.kinds == ["server_updated"] && updated.subscription.minSeverity == .warning)
            #expect(updated.subscription.secretCreatedAt == created.subscription.secretCreatedAt)

            var rotate = Mailgate_V1_RotateWebhookSecretRequest()
            rotate.tenant = "acme"
            rotate.subscription = "hook"
            let rotated = try await admin.rotateWebhookSecret(rotate)
            SecretScan.register(rotated.secret)
            #expect(rotated.secret.hasPrefix("whsec_") && rotated.secret != created.secret)

            var list = Mailgate_V1_ListWebhookSubscriptionsRequest()
            list.tenant = "acme"
            let listed = try await admin.listWebhookSubscriptions(list)
            let serialized =
                try listed.jsonString() + String(decoding: try listed.serializedBytes() as [UInt8], as: UTF8.self)
            #expect(listed.subscriptions.count == 1)
            #expect(!serialized.contains(created.secret) && !serialized.contains(rotated.secret))
            #expect(!serialized.contains("whsec_"))

            var delete = Mailgate_V1_DeleteWebhookSubscriptionRequest()
            delete.tenant = "acme"
            delete.subscription = created.subscription.id
            _ = try await admin.deleteWebhookSubscription(delete)
            #expect(try await admin.listWebhookSubscriptions(list).subscriptions.isEmpty)

            // Each change is an audit event naming the subscription and the URL's host only.
            var events = Mailgate_V1_ListEventsRequest()
            events.tenant = "acme"
            let audit = try await admin.listEvents(events).events.filter { $0.kind.hasPrefix("webhook_") }
            #expect(
                audit.map(\.kind).reversed() == [
                    "webhook_subscription_created", "webhook_subscription_updated", "webhook_secret_rotated",
                    "webhook_subscription_deleted",
                ]
            )
            #expect(audit.allSatisfy { $0.actor == testOperatorKey.id && $0.details["host"] == "hooks.example.com" })
            #expect(audit.allSatisfy { !"\($0)".contains("whsec_") && !$0.message.contains("/a") })
        }
    }
}

import Foundation
import MailgateCore
import Testing

@Suite("Webhook subscription rules")
struct WebhookRulesTests {
    static func fields(_ url: String, _ policy: DestinationPolicy = .publicOnly, kinds: [String] = []) -> [String] {
        WebhookRules.violations(
            of: WebhookSubscriptionDefinition(name: "hook", url: url, kinds: kinds),
            destinations: policy
        ).map(\.field)
    }

    @Test("public https URLs pass", arguments: ["https://hooks.example.com/x", "https://203.0.114.1:8443/a?b=c"])
    func accepted(url: String) {
        #expect(Self.fields(url) == [])
    }

    @Test(
        "non-public hosts, http to anything but an allowed loopback, user info and non-URLs are refused",
        arguments: [
            "http://hooks.example.com/x", "https://10.1.2.3/x", "https://169.254.169.254/", "http://127.0.0.1:9/x",
            "https://localhost/x", "https://[::1]/x", "https://u:p@hooks.example.com/", "ftp://hooks.example.com/",
            "", "hooks.example.com/x",
        ]
    )
    func refused(url: String) {
        #expect(Self.fields(url) == ["url"])
    }

    @Test("with loopback allowed, http and https to it pass")
    func loopbackAllowed() {
        #expect(Self.fields("http://127.0.0.1:9/x", .loopbackAllowed) == [])
        #expect(Self.fields("http://localhost:9/x", .loopbackAllowed) == [])
        #expect(Self.fields("https://[::1]:9/x", .loopbackAllowed) == [])
        #expect(Self.fields("http://10.0.0.1/x", .loopbackAllowed) == ["url"])
    }

    @Test("kinds are event kind names")
    func kinds() {
        #expect(Self.fields("https://hooks.example.com", kinds: ["server_updated", "message_failed"]) == [])
        #expect(Self.fields("https://hooks.example.com", kinds: ["ok", "Not OK"]) == ["kinds[1]"])
    }

    @Test("matching follows kinds, minimum severity and the enabled flag")
    func matching() {
        var definition = WebhookSubscriptionDefinition(name: "h", url: "https://x.example", minimumSeverity: .warning)
        #expect(definition.matches(kind: "anything", severity: .error))
        #expect(!definition.matches(kind: "anything", severity: .info))
        definition.kinds = ["server_updated"]
        #expect(!definition.matches(kind: "message_failed", severity: .critical))
        #expect(definition.matches(kind: "server_updated", severity: .warning))
        definition.enabled = false
        #expect(!definition.matches(kind: "server_updated", severity: .critical))
    }
}

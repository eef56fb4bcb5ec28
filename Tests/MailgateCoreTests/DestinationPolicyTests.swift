import MailgateCore
import Testing

@Suite("Destinations: public addresses only, unless the operator allows a network")
struct DestinationPolicyTests {
    @Test(
        "non-public addresses are refused with their kind",
        arguments: [
            ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("[::1]", "loopback"),
            ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
            ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
            ("100.64.0.1", "carrier-grade NAT"), ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
            ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"), ("192.0.2.10", "reserved"), ("2001:db8::1", "reserved"),
            // IPv4-mapped, NAT64 and 6to4 forms are judged by the IPv4 address they carry.
            ("::ffff:10.0.0.1", "private"), ("[::ffff:10.0.0.1]", "private"), ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:a9fe:a9fe", "link-local"), ("64:ff9b::a9fe:a9fe", "link-local"), ("2002:0a00:0001::1", "private"),
        ]
    )
    func refused(address: String, kind: String) throws {
        let refusal = try #require(DestinationPolicy.publicOnly.refusal(ofHost: address))
        #expect(refusal.kind.rawValue == kind)
        #expect(refusal.description.contains("MAILGATE_ALLOWED_PRIVATE_NETWORKS"))
    }

    @Test(
        "public addresses and names pass",
        arguments: ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "smtp.example.com"]
    )
    func allowed(host: String) {
        #expect(DestinationPolicy.publicOnly.refusal(ofHost: host) == nil)
    }

    @Test("localhost and names under it always mean this machine")
    func localhostNames() {
        #expect(DestinationPolicy.publicOnly.refusal(ofHost: "localhost")?.kind == .loopback)
        #expect(DestinationPolicy.publicOnly.refusal(ofHost: "LOCALHOST.")?.kind == .loopback)
        #expect(DestinationPolicy.publicOnly.refusal(ofHost: "relay.localhost")?.kind == .loopback)
        #expect(DestinationPolicy.loopbackAllowed.refusal(ofHost: "localhost") == nil)
    }

    @Test("allowed networks let exactly their addresses through, in either IPv4 form")
    func allowedNetworks() throws {
        let (ranges, invalid) = NetworkRange.parseList(" 10.1.0.0/16, fd00::/8 ,,192.168.7.7")
        #expect(invalid.isEmpty)
        let policy = DestinationPolicy(allowedNetworks: ranges)
        #expect(policy.refusal(ofHost: "10.1.200.3") == nil)
        #expect(policy.refusal(ofHost: "::ffff:10.1.0.9") == nil)
        #expect(policy.refusal(ofHost: "10.2.0.1")?.kind == .privateNetwork)
        #expect(policy.refusal(ofHost: "fd00::25") == nil)
        #expect(policy.refusal(ofHost: "192.168.7.7") == nil)
        #expect(policy.refusal(ofHost: "192.168.7.8")?.kind == .privateNetwork)
        #expect(policy.refusal(ofHost: "127.0.0.1")?.kind == .loopback)
    }

    @Test(
        "malformed ranges are named, not ignored",
        arguments: [
            "10.0.0.0/33", "10.0.0/8", "fd00::/129", "net", "10.0.0.0/8x",
            // Host bits past the length, and an IPv4-mapped range reaching outside IPv4 (::/8).
            "10.0.0.1/8", "fd00::1/8", "::ffff:10.0.0.0/8",
        ]
    )
    func malformed(entry: String) {
        let (ranges, invalid) = NetworkRange.parseList("127.0.0.0/8,\(entry)")
        #expect(ranges.map(\.description) == ["127.0.0.0/8"])
        #expect(invalid == [entry])
    }

    @Test("addresses print in their usual form")
    func printing() {
        #expect(IPAddress("::ffff:10.0.0.1")?.description == "10.0.0.1")
        #expect(IPAddress("2001:DB8:0:0::1")?.description == "2001:db8::1")
        #expect(IPAddress("01.2.3.4") == nil)
        #expect(IPAddress("mail.example.com") == nil)
        #expect(NetworkRange("fd00::/8")?.description == "fd00::/8")
    }
}

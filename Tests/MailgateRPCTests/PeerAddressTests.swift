import MailgateRPC
import NIOCore
import Testing

@Suite("Peer addresses")
struct PeerAddressTests {
    @Test(
        "limits count by IPv4 address, by the /64 of an IPv6 address, and by the IPv4 address inside an IPv4-mapped one",
        arguments: [
            ("203.0.113.7", "203.0.113.7"),
            ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
            ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
            ("::ffff:198.51.100.9", "198.51.100.9"),
        ]
    )
    func limitKey(address: String, key: String) throws {
        let peer = PeerAddress(try SocketAddress(ipAddress: address, port: 50_000))
        #expect(peer.limitKey == key)
        #expect(peer.description.contains("50000"), "logs keep the port: \(peer.description)")
    }

    @Test("a connection without an IP address counts as unknown")
    func unknown() {
        #expect(PeerAddress(nil).limitKey == "unknown")
    }
}

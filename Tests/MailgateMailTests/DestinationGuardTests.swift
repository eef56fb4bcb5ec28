import Foundation
import MailgateCore
import MailgateMail
import MailgateTestSupport
import Testing

/// The destination policy holds where the connection is made, after the name resolves: a
/// name that points at this machine is refused like the address itself.
@Suite("Destinations checked at connect time")
struct DestinationGuardTests {
    static let message = Array("From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\n\r\nHello.\r\n".utf8)

    @Test(
        "SMTP to a name or address on loopback is refused unless allowed; nothing reaches the server",
        arguments: ["localhost", "127.0.0.1"]
    )
    func smtp(host: String) async throws {
        let server = try SMTPTestServer(arguments: ["--mode", "plain"])
        let pool = SMTPDeliveryPool(threadCount: 1)
        defer { Task { try? await pool.shutdown() } }
        var endpoint = SMTPEndpoint(host: host, port: server.port, security: .none, destinations: .publicOnly)
        let refused = try await pool.send(
            message: Self.message,
            from: "a@example.com",
            to: ["b@example.com"],
            through: endpoint
        )
        #expect(refused.outcome == .transientFailure, "\(refused)")
        #expect(refused.stage == .connect)
        #expect(refused.transportCause == .destinationNotAllowed)
        #expect(refused.detail.contains("is a loopback address"), "\(refused.detail)")
        #expect(!refused.detail.contains("127.0.0.1"), "the refused address is not shown: \(refused.detail)")
        #expect(try server.received().isEmpty)

        endpoint.destinations = .loopbackAllowed
        let sent = try await pool.send(
            message: Self.message,
            from: "a@example.com",
            to: ["b@example.com"],
            through: endpoint
        )
        #expect(sent.outcome == .delivered, "\(sent)")
        #expect(try server.received().count == 1)
    }

    @Test("the diagnostic session reports the refused address and never connects")
    func probe() throws {
        let server = try SMTPTestServer(arguments: ["--mode", "plain"])
        let endpoint = SMTPEndpoint(host: "localhost", port: server.port, security: .none, destinations: .publicOnly)
        let report = SMTPProbe.run(endpoint, responseTimeout: .seconds(5))
        #expect(report.connectedTo == nil)
        #expect(report.destinationRefusal?.contains("loopback") == true)
    }

    @Test("HTTPS requests (token endpoints, Graph) are held to the same policy")
    func http() async throws {
        let strict = HTTPTransport(threadCount: 1, destinations: .publicOnly)
        let allowing = HTTPTransport(threadCount: 1, destinations: .loopbackAllowed)
        defer {
            Task {
                try? await strict.shutdown()
                try? await allowing.shutdown()
            }
        }
        let request = HTTPRequest(method: .get, url: "http://localhost:1/token", timeout: .seconds(5))
        guard case .failure(let refused) = await strict.perform(request) else {
            Issue.record("a request to loopback went through")
            return
        }
        #expect(refused.detail.contains("is a loopback address"), "\(refused.detail)")
        #expect(refused.detail.contains("MAILGATE_ALLOWED_PRIVATE_NETWORKS"))
        // Allowed, the request is made: nothing listens on port 1, so the connection itself fails.
        guard case .failure(let unreachable) = await allowing.perform(request) else {
            Issue.record("something answered on port 1")
            return
        }
        #expect(!unreachable.detail.contains("loopback address"), "\(unreachable.detail)")
    }
}

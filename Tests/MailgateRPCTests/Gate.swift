import MailgateProto
import MailgateRPC
import Synchronization

/// Holds the `hold` method's handlers until the test opens it.
final class Gate: Sendable {
    private let opened = Atomic<Bool>(false)

    func open() { self.opened.store(true, ordering: .relaxed) }
    var isOpen: Bool { self.opened.load(ordering: .relaxed) }
}

extension TestMethods {
    /// Answers `Pong{nonce}` once the test opens the gate; records when it starts and when it
    /// is cancelled (a cancelled handler stops at once).
    static let hold = "/test.v1.Test/Hold"

    /// The test router plus `hold`, held by `gate`.
    static func router(observations: Observations, gate: Gate) -> RPCRouter<TestPrincipal> {
        var router = Self.router(observations: observations)
        router.register(hold, request: Mailgate_V1_Ping.self) { request, _ -> Mailgate_V1_Pong in
            observations.recordStarted()
            do {
                while !gate.isOpen { try await Task.sleep(for: .milliseconds(5)) }
            } catch {
                observations.recordCancelled()
                throw error
            }
            var pong = Mailgate_V1_Pong()
            pong.nonce = request.nonce
            return pong
        }
        return router
    }
}

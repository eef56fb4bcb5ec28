import Logging
import MailgateProto
import MailgateRPC
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// The principal of test calls: the key id the test authenticator accepted.
struct TestPrincipal: Sendable {
    var keyID: String
}

/// Accepts `Bearer good-key`; anything else is UNAUTHENTICATED.
struct TestAuthenticator: CallAuthenticator {
    func authenticate(metadata: [String: String], method: String, peer: PeerAddress) async throws -> TestPrincipal {
        guard let token = metadata.bearerToken else {
            throw RPCError(code: .unauthenticated, message: "no key", reason: "MISSING_CREDENTIALS")
        }
        guard token == "good-key" else { throw RPCError(code: .unauthenticated, message: "bad key") }
        return TestPrincipal(keyID: "good")
    }
}

/// Records what handlers observed, for assertions.
final class Observations: Sendable {
    private let cancelled = Atomic<Int>(0)
    private let started = Atomic<Int>(0)

    func recordCancelled() { self.cancelled.add(1, ordering: .relaxed) }
    func recordStarted() { self.started.add(1, ordering: .relaxed) }
    var cancelledCount: Int { self.cancelled.load(ordering: .relaxed) }
    var startedCount: Int { self.started.load(ordering: .relaxed) }
}

enum TestMethods {
    /// Echoes the request's `nonce` in a Pong message after `nonce % 1000` microseconds... see `router`.
    static let echo = "/test.v1.Test/Echo"
    static let sleep = "/test.v1.Test/Sleep"
    static let whoAmI = "/test.v1.Test/WhoAmI"
    static let publicEcho = "/test.v1.Test/PublicEcho"
    static let fail = "/test.v1.Test/Fail"

    /// Test handlers reuse the envelope's small messages as requests and responses:
    /// `Ping{nonce}` in, `Pong{nonce}` out.
    static func router(observations: Observations) -> RPCRouter<TestPrincipal> {
        var router = RPCRouter<TestPrincipal>()
        router.register(echo, request: Mailgate_V1_Ping.self) { request, _ -> Mailgate_V1_Pong in
            // A pseudo-random delay so that replies complete out of order.
            try await Task.sleep(for: .microseconds(Int((request.nonce &* 7919) % 5000)))
            var pong = Mailgate_V1_Pong()
            pong.nonce = request.nonce
            return pong
        }
        router.register(sleep, request: Mailgate_V1_Ping.self) { request, _ -> Mailgate_V1_Pong in
            observations.recordStarted()
            do {
                try await Task.sleep(for: .milliseconds(Int64(request.nonce)))
            } catch {
                observations.recordCancelled()
                throw error
            }
            var pong = Mailgate_V1_Pong()
            pong.nonce = request.nonce
            return pong
        }
        router.register(whoAmI, request: Mailgate_V1_Ping.self) { _, context -> Mailgate_V1_Pong in
            let principal = try context.requirePrincipal()
            var pong = Mailgate_V1_Pong()
            pong.nonce = UInt64(principal.keyID.count)
            return pong
        }
        router.register(publicEcho, request: Mailgate_V1_Ping.self, requiresAuthentication: false) {
            request,
            _ -> Mailgate_V1_Pong in
            var pong = Mailgate_V1_Pong()
            pong.nonce = request.nonce
            return pong
        }
        router.register(fail, request: Mailgate_V1_Ping.self) { _, _ -> Mailgate_V1_Pong in
            struct SecretLeakingError: Error { let detail = "password=hunter2" }
            throw SecretLeakingError()
        }
        return router
    }
}

/// Runs an RPC server on a free loopback port for the duration of `body`.
func withTestServer<Result: Sendable>(
    configure: (inout RPCServerConfiguration) -> Void = { _ in },
    observations: Observations = Observations(),
    _ body: (RPCServer<TestPrincipal>, Int) async throws -> Result
) async throws -> Result {
    var configuration = RPCServerConfiguration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let server = try RPCServer(
        configuration: configuration,
        router: TestMethods.router(observations: observations),
        authenticator: TestAuthenticator(),
        logger: logger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let port = try await server.listeningAddress.port!
        return try await body(server, port)
    }
}

/// Encodes a typed request for `RPCClientConnection.call`.
func payload(nonce: UInt64) -> [UInt8] {
    var ping = Mailgate_V1_Ping()
    ping.nonce = nonce
    return try! ping.serializedBytes()
}

/// Decodes the `Pong` of a reply.
func pong(of reply: Mailgate_V1_Reply) throws -> Mailgate_V1_Pong {
    try Mailgate_V1_Pong(serializedBytes: reply.payload)
}

let goodKey = ["authorization": "Bearer good-key"]

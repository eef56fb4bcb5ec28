import NIOCore
import MailgateProto
import MailgateRPC
import Testing

@Suite("Method dispatch and authentication")
struct DispatchTests {
    func call(_ method: String, metadata: [String: String] = goodKey, payload bytes: [UInt8] = payload(nonce: 1))
        async throws -> Mailgate_V1_Reply
    {
        try await withTestServer { _, port in
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let reply = try await connection.call(
                method: method,
                metadata: metadata,
                timeout: .seconds(5),
                payload: bytes
            )
            await connection.close()
            return reply
        }
    }

    @Test("an unknown method is UNIMPLEMENTED")
    func unknownMethod() async throws {
        let reply = try await self.call("/mailgate.v1.Nope/Nothing")
        #expect(reply.status.code == .unimplemented)
        #expect(reply.status.message.contains("/mailgate.v1.Nope/Nothing"))
    }

    @Test(
        "a call without credentials is UNAUTHENTICATED",
        arguments: [[:], ["authorization": "Basic abc"], ["authorization": "Bearer"]]
    )
    func missingCredentials(metadata: [String: String]) async throws {
        let reply = try await self.call(TestMethods.whoAmI, metadata: metadata)
        #expect(reply.status.code == .unauthenticated)
        #expect(reply.payload.isEmpty)
    }

    @Test("a wrong key is UNAUTHENTICATED; the right one reaches the handler with its principal")
    func authentication() async throws {
        #expect(
            try await self.call(TestMethods.whoAmI, metadata: ["authorization": "Bearer bad-key"]).status.code
                == .unauthenticated
        )
        let reply = try await self.call(TestMethods.whoAmI)
        #expect(reply.status.code == .ok)
        #expect(try pong(of: reply).nonce == UInt64("good".count))
    }

    @Test("a public method needs no credentials")
    func publicMethod() async throws {
        #expect(try await self.call(TestMethods.publicEcho, metadata: [:]).status.code == .ok)
    }

    @Test("an undecodable request payload is INVALID_ARGUMENT")
    func undecodablePayload() async throws {
        let reply = try await self.call(TestMethods.echo, payload: [0xFF, 0xFF, 0xFF])
        #expect(reply.status.code == .invalidArgument)
        #expect(reply.status.reason == "MALFORMED_REQUEST")
    }

    @Test("an unexpected handler error is INTERNAL with a generic message that leaks nothing")
    func internalError() async throws {
        let reply = try await self.call(TestMethods.fail)
        #expect(reply.status.code == .internal)
        #expect(!reply.status.message.contains("hunter2"))
        #expect(!reply.status.message.contains("SecretLeakingError"))
    }
}

import NIOCore
import NIOPosix
import MailgateProto
import MailgateRPC
import Testing

@Suite("Hostile input over TCP")
struct HostileInputTests {
    @Test(
        "framing violations get a GoAway with the right status, then the connection closes",
        arguments: [
            ([0, 0, 0, 0] as [UInt8], StatusCode.invalidArgument, "EMPTY_FRAME"),
            ([0x7F, 0xFF, 0xFF, 0xFF], .resourceExhausted, "FRAME_TOO_LARGE"),
            ([0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .invalidArgument, "MALFORMED_FRAME"),
        ]
    )
    func framingViolation(bytes: [UInt8], code: StatusCode, reason: String) async throws {
        try await withTestServer { server, port in
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange([bytes])
            #expect(frames.count == 1)
            guard case .goAway(let goAway) = frames.first?.kind else {
                Issue.record("expected GoAway, got \(frames)")
                return
            }
            #expect(StatusCode(goAway.status.code) == code)
            #expect(goAway.status.reason == reason)
            // The server is unharmed: a new connection works.
            let next = try await RawConnection.connect(port: port)
            let replies = try await next.exchange([framed(callFrame(1, TestMethods.publicEcho, nonce: 5))], limit: 1)
            #expect(replies.first?.callID == 1)
        }
    }

    @Test("a call frame split across many TCP writes is answered")
    func splitAcrossWrites() async throws {
        try await withTestServer { _, port in
            let bytes = framed(callFrame(9, TestMethods.echo, nonce: 77))
            let chunks = bytes.map { [$0] }
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange(chunks, pauseBetweenChunks: .milliseconds(1), limit: 1)
            guard case .reply(let reply) = frames.first?.kind else {
                Issue.record("expected a reply, got \(frames)")
                return
            }
            #expect(frames.first?.callID == 9)
            #expect(try pong(of: reply).nonce == 77)
        }
    }

    @Test("several calls coalesced in one TCP write are each answered")
    func coalescedWrites() async throws {
        try await withTestServer { _, port in
            let bytes = (1...20).flatMap { framed(callFrame(UInt64($0), TestMethods.echo, nonce: UInt64($0) * 3)) }
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange([bytes], limit: 20)
            let answered = Dictionary(
                uniqueKeysWithValues: try frames.map { frame -> (UInt64, UInt64) in
                    guard case .reply(let reply) = frame.kind else {
                        throw RPCError(code: .internal, message: "not a reply")
                    }
                    return (frame.callID, try pong(of: reply).nonce)
                }
            )
            #expect(answered.count == 20)
            for id in 1...20 { #expect(answered[UInt64(id)] == UInt64(id) * 3) }
        }
    }

    @Test("a Reply frame from a client is a protocol error")
    func clientSendsReply() async throws {
        try await withTestServer { _, port in
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange([framed(.reply(callID: 1, status: .ok))])
            guard case .goAway(let goAway) = frames.last?.kind else {
                Issue.record("expected GoAway, got \(frames)")
                return
            }
            #expect(goAway.status.code == .invalidArgument)
        }
    }

    @Test("a duplicate in-flight call_id is a protocol error: GoAway, then the connection closes")
    func duplicateCallID() async throws {
        try await withTestServer { _, port in
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange([
                framed(callFrame(5, TestMethods.sleep, nonce: 300)),
                framed(callFrame(5, TestMethods.echo, nonce: 1)),
            ])
            #expect(frames.count == 1, "no reply may follow the GoAway: \(frames)")
            guard case .goAway(let goAway) = frames.first?.kind else {
                Issue.record("expected GoAway, got \(frames)")
                return
            }
            #expect(goAway.status.code == .invalidArgument)
            #expect(goAway.status.reason == "DUPLICATE_CALL_ID")
        }
    }

    @Test("a call id may be reused once its call was answered, even while the old handler still runs")
    func callIDReuseAfterDeadline() async throws {
        let observations = Observations()
        try await withTestServer(observations: observations) { _, port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.converse { send, receive in
                try await send(callFrame(1, TestMethods.sleep, nonce: 10_000, timeoutMs: 50))
                let first = try await receive()
                guard case .reply(let expired) = first?.kind else {
                    Issue.record("expected a reply, got \(String(describing: first))")
                    return
                }
                #expect(expired.status.code == .deadlineExceeded)
                // The old handler may still be running; the id is free all the same.
                try await send(callFrame(1, TestMethods.echo, nonce: 42))
                let second = try await receive()
                guard case .reply(let reply) = second?.kind else {
                    Issue.record("expected a reply, got \(String(describing: second))")
                    return
                }
                #expect(second?.callID == 1)
                #expect(reply.status.code == .ok)
                #expect(try pong(of: reply).nonce == 42)
            }
        }
    }

    @Test("a peer that floods pings and never reads does not stall other clients")
    func backPressure() async throws {
        try await withTestServer { server, port in
            // 5,000 pings written without reading a byte of the pongs back.
            let flood = (0..<5_000).flatMap { framed(.ping(nonce: UInt64($0))) }
            let hog = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.autoRead, value: false)
                .connect(host: "127.0.0.1", port: port).get()
            hog.writeAndFlush(ByteBuffer(bytes: flood), promise: nil)
            try await Task.sleep(for: .milliseconds(300))
            // Another client is served normally meanwhile.
            let other = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let reply = try await other.call(
                method: TestMethods.echo,
                metadata: goodKey,
                timeout: .seconds(5),
                payload: payload(nonce: 3)
            )
            #expect(reply.status.code == .ok)
            #expect(server.connectionCount == 2)
            await other.close()
            try await hog.close()
        }
    }

    @Test("Ping is answered with a Pong carrying the same nonce, without authentication")
    func pingPong() async throws {
        try await withTestServer { _, port in
            let connection = try await RawConnection.connect(port: port)
            let frames = try await connection.exchange([framed(.ping(nonce: 0xDEAD_BEEF))], limit: 1)
            guard case .pong(let pong) = frames.first?.kind else {
                Issue.record("expected Pong, got \(frames)")
                return
            }
            #expect(pong.nonce == 0xDEAD_BEEF)
        }
    }
}

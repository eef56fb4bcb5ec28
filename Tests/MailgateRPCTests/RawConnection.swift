import MailgateProto
import MailgateRPC
import NIOCore
import NIOPosix

/// A connection that writes arbitrary bytes and reads decoded frames: for hostile input.
struct RawConnection {
    let channel: NIOAsyncChannel<Mailgate_V1_Frame, ByteBuffer>

    static func connect(port: Int) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    return try NIOAsyncChannel<Mailgate_V1_Frame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }
}

extension RawConnection {
    /// Writes `bytes` as they are, then collects every frame until the server closes
    /// the connection (or `limit` frames arrived).
    func exchange(_ chunks: [[UInt8]], pauseBetweenChunks: Duration = .zero, limit: Int = .max) async throws
        -> [Mailgate_V1_Frame]
    {
        try await self.channel.executeThenClose { inbound, outbound in
            for chunk in chunks {
                try await outbound.write(ByteBuffer(bytes: chunk))
                if pauseBetweenChunks > .zero { try await Task.sleep(for: pauseBetweenChunks) }
            }
            var frames: [Mailgate_V1_Frame] = []
            do {
                for try await frame in inbound {
                    frames.append(frame)
                    if frames.count >= limit { break }
                }
            } catch {
                // The server closing mid-read ends the exchange.
            }
            return frames
        }
    }
}

/// The bytes of one framed message.
func framed(_ frame: Mailgate_V1_Frame) -> [UInt8] {
    var buffer = ByteBuffer()
    try! FrameEncoder.encode(frame, into: &buffer)
    return Array(buffer.readableBytesView)
}

func callFrame(
    _ callID: UInt64,
    _ method: String,
    nonce: UInt64,
    metadata: [String: String] = goodKey,
    timeoutMs: UInt32 = 0
)
    -> Mailgate_V1_Frame
{
    .call(
        callID: callID,
        method: method,
        metadata: metadata,
        timeoutMilliseconds: timeoutMs,
        payload: .init(payload(nonce: nonce))
    )
}

extension RawConnection {
    /// Talks frame by frame: `body` writes with `send` and reads with `receive`.
    func converse<Result: Sendable>(
        _ body: (_ send: (Mailgate_V1_Frame) async throws -> Void, _ receive: () async throws -> Mailgate_V1_Frame?)
            async throws -> Result
    ) async throws -> Result {
        try await self.channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            return try await body(
                { frame in try await outbound.write(ByteBuffer(bytes: framed(frame))) },
                { try await iterator.next() }
            )
        }
    }
}

/// A call frame whose request is `Ping{nonce}` followed by an unknown field of padding (parsers
/// skip it), so that the frame announces a length of `bytes` (16 KiB to 2 MiB).
func paddedCallFrame(
    _ callID: UInt64,
    _ method: String,
    nonce: UInt64,
    bytes: Int,
    metadata: [String: String] = goodKey
) -> Mailgate_V1_Frame {
    var frame = callFrame(callID, method, nonce: nonce, metadata: metadata)
    let unpadded = framed(frame).count - FrameDecoder.lengthFieldBytes
    // Field 1000, wire type 2 (a 2-byte tag), a 3-byte length, the padding; the lengths of the
    // payload and of the Call around it grow by 2 bytes each (3-byte varints from 16 KiB to 2 MiB).
    let padding = bytes - unpadded - 2 - 3 - 2 - 2
    precondition(padding > 0 && padding < 1 << 21, "padding of \(padding) bytes")
    var request = payload(nonce: nonce)
    request += [0xC2, 0x3E]
    request += [UInt8(padding & 0x7F | 0x80), UInt8(padding >> 7 & 0x7F | 0x80), UInt8(padding >> 14)]
    request += [UInt8](repeating: 0, count: padding)
    guard case .call(var call) = frame.kind else { return frame }
    call.payload = .init(request)
    frame.kind = .call(call)
    return frame
}

import MailgateProto
import MailgateRPC
import NIOCore
import Testing

@Suite("Frame decoding")
struct FrameDecoderTests {
    let decoder = FrameDecoder(maximumFrameBytes: 1024)

    @Test("a frame split byte by byte is reassembled")
    func splitFrame() throws {
        let bytes = framed(callFrame(7, "/a/B", nonce: 42))
        var buffer = ByteBuffer()
        var decoded: [Mailgate_V1_Frame] = []
        for byte in bytes {
            buffer.writeInteger(byte)
            if let frame = try self.decoder.decodeFrame(from: &buffer) { decoded.append(frame) }
        }
        #expect(decoded.count == 1)
        #expect(decoded.first?.callID == 7)
        #expect(buffer.readableBytes == 0)
    }

    @Test("coalesced frames are all decoded, in order")
    func coalescedFrames() throws {
        var buffer = ByteBuffer(bytes: (1...5).flatMap { framed(callFrame(UInt64($0), "/a/B", nonce: 1)) })
        var ids: [UInt64] = []
        while let frame = try self.decoder.decodeFrame(from: &buffer) { ids.append(frame.callID) }
        #expect(ids == [1, 2, 3, 4, 5])
    }

    @Test("a zero length is refused")
    func zeroLength() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0])
        #expect(throws: FrameError(.emptyFrame)) { try self.decoder.decodeFrame(from: &buffer) }
    }

    @Test("an oversize length is refused as soon as the prefix arrives, before any body is buffered")
    func oversizeLength() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameError(.frameTooLarge(announced: 0xFFFF_FFFF, limit: 1024))) {
            try self.decoder.decodeFrame(from: &buffer)
        }
    }

    /// A call frame whose encoding is exactly `size` bytes (without the prefix).
    func frame(ofSize size: Int) -> [UInt8] {
        var payloadBytes = size
        while payloadBytes > 0 {
            var call = Mailgate_V1_Call()
            call.method = "/a/B"
            call.payload = .init(repeating: 7, count: payloadBytes)
            var frame = Mailgate_V1_Frame()
            frame.kind = .call(call)
            let bytes = framed(frame)
            if bytes.count - 4 == size { return bytes }
            payloadBytes -= max(1, bytes.count - 4 - size)
        }
        fatalError("no frame of \(size) bytes")
    }

    @Test("a frame of exactly the maximum size is accepted; one byte more is refused")
    func largestFrame() throws {
        var largest = ByteBuffer(bytes: self.frame(ofSize: 1024))
        #expect(try self.decoder.decodeFrame(from: &largest) != nil)
        var tooLarge = ByteBuffer(bytes: self.frame(ofSize: 1025))
        #expect(throws: FrameError(.frameTooLarge(announced: 1025, limit: 1024))) {
            try self.decoder.decodeFrame(from: &tooLarge)
        }
    }

    @Test("bytes that are not a Frame are refused")
    func garbage() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameError(.malformedFrame)) { try self.decoder.decodeFrame(from: &buffer) }
    }

    @Test("an incomplete length prefix waits for more bytes")
    func partialPrefix() throws {
        var buffer = ByteBuffer(bytes: [0, 0])
        #expect(try self.decoder.decodeFrame(from: &buffer) == nil)
        #expect(buffer.readableBytes == 2)
    }
}

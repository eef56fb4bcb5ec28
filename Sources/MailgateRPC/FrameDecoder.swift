import MailgateProto
import NIOCore
import SwiftProtobuf

/// Splits the byte stream into `mailgate.v1.Frame`s: a 4-byte big-endian length,
/// then that many bytes of protobuf. The client side reads with it; the server reads with
/// `FrameReader`, which adds the server's budgets and timeouts to the same format.
///
/// The announced length is checked before anything is buffered for it, so a peer cannot
/// make the reader allocate more than `maximumFrameBytes`.
public struct FrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = Mailgate_V1_Frame

    /// The length prefix's size in bytes.
    public static let lengthFieldBytes = 4
    /// The default for `maximumFrameBytes`: 16 MiB.
    public static let defaultMaximumFrameBytes = 16 * 1024 * 1024

    public let maximumFrameBytes: Int

    public init(maximumFrameBytes: Int = FrameDecoder.defaultMaximumFrameBytes) {
        self.maximumFrameBytes = maximumFrameBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.decodeFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        // A partial frame at EOF is simply dropped: the peer went away mid-frame.
        try self.decode(context: context, buffer: &buffer)
    }

    /// Reads one whole frame, or nothing if more bytes are needed. Throws `FrameError`.
    public func decodeFrame(from buffer: inout ByteBuffer) throws -> Mailgate_V1_Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        if length == 0 { throw FrameError(.emptyFrame) }
        if Int(length) > self.maximumFrameBytes {
            throw FrameError(.frameTooLarge(announced: length, limit: self.maximumFrameBytes))
        }
        guard buffer.readableBytes >= Self.lengthFieldBytes + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: Self.lengthFieldBytes)
        let body = buffer.readSlice(length: Int(length))!
        return try Self.frame(body: body)
    }

    /// The frame whose serialized bytes are all of `body` (no length prefix). Throws `FrameError`.
    static func frame(body: ByteBuffer) throws(FrameError) -> Mailgate_V1_Frame {
        do {
            return try body.withUnsafeReadableBytes { bytes in try Mailgate_V1_Frame(serializedBytes: [UInt8](bytes)) }
        } catch {
            throw FrameError(.malformedFrame)
        }
    }
}

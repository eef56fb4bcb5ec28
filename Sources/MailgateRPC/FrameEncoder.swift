import MailgateProto
import NIOCore
import SwiftProtobuf

/// Writes `mailgate.v1.Frame`s as a 4-byte big-endian length followed by the protobuf bytes.
public struct FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = Mailgate_V1_Frame

    public init() {}

    public func encode(data frame: Mailgate_V1_Frame, out: inout ByteBuffer) throws {
        try Self.encode(frame, into: &out)
    }

    /// Appends one framed message to `buffer`.
    public static func encode(_ frame: Mailgate_V1_Frame, into buffer: inout ByteBuffer) throws {
        let bytes: [UInt8] = try frame.serializedBytes()
        buffer.reserveCapacity(minimumWritableBytes: FrameDecoder.lengthFieldBytes + bytes.count)
        buffer.writeInteger(UInt32(bytes.count), endianness: .big)
        buffer.writeBytes(bytes)
    }
}

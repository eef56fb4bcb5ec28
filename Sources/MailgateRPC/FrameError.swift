import MailgateProto
/// A violation of the framing rules: the connection cannot continue after it.
public struct FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// A frame announced a length of zero.
        case emptyFrame
        /// A frame announced more than the configured maximum.
        case frameTooLarge(announced: UInt32, limit: Int)
        /// The frame bytes are not a `mailgate.v1.Frame`.
        case malformedFrame
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var description: String {
        switch self.kind {
        case .emptyFrame:
            return "frame length 0 is not allowed"
        case .frameTooLarge(let announced, let limit):
            return "frame of \(announced) bytes exceeds the limit of \(limit) bytes"
        case .malformedFrame:
            return "frame bytes are not a mailgate.v1.Frame"
        }
    }

    /// The status sent in the `GoAway` that closes the connection.
    public var rpcError: RPCError {
        switch self.kind {
        case .frameTooLarge:
            return RPCError(code: .resourceExhausted, message: self.description, reason: "FRAME_TOO_LARGE")
        case .emptyFrame:
            return RPCError(code: .invalidArgument, message: self.description, reason: "EMPTY_FRAME")
        case .malformedFrame:
            return RPCError(code: .invalidArgument, message: self.description, reason: "MALFORMED_FRAME")
        }
    }
}

import MailgateProto

/// A violation of the framing rules or limits: the connection cannot continue after it.
public struct FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// A frame announced a length of zero.
        case emptyFrame
        /// A frame announced more than the configured maximum.
        case frameTooLarge(announced: UInt32, limit: Int)
        /// A connection that has not made an authenticated call yet announced more than its smaller limit.
        case unauthenticatedFrameTooLarge(announced: UInt32, limit: Int)
        /// A frame began but did not arrive whole within this many milliseconds.
        case frameTimedOut(milliseconds: Int64)
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
        case .unauthenticatedFrameTooLarge(let announced, let limit):
            return
                "frame of \(announced) bytes exceeds the limit of \(limit) bytes for a connection that has not made an authenticated call yet; make a small authenticated call first (e.g. /mailgate.v1.Health/WhoAmI)"
        case .frameTimedOut(let milliseconds):
            return "a frame began but did not arrive whole within \(milliseconds) ms"
        case .malformedFrame:
            return "frame bytes are not a mailgate.v1.Frame"
        }
    }

    /// The machine-readable reason of the `GoAway` (and of the frame-error metric).
    public var reason: String {
        switch self.kind {
        case .emptyFrame: "EMPTY_FRAME"
        case .frameTooLarge: "FRAME_TOO_LARGE"
        case .unauthenticatedFrameTooLarge: "UNAUTHENTICATED_FRAME_TOO_LARGE"
        case .frameTimedOut: "FRAME_TIMEOUT"
        case .malformedFrame: "MALFORMED_FRAME"
        }
    }

    /// The status sent in the `GoAway` that closes the connection.
    public var rpcError: RPCError {
        switch self.kind {
        case .frameTooLarge, .unauthenticatedFrameTooLarge:
            return RPCError(code: .resourceExhausted, message: self.description, reason: self.reason)
        case .frameTimedOut:
            return RPCError(code: .deadlineExceeded, message: self.description, reason: self.reason)
        case .emptyFrame, .malformedFrame:
            return RPCError(code: .invalidArgument, message: self.description, reason: self.reason)
        }
    }
}

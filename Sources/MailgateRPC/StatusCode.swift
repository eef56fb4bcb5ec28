import MailgateProto

/// The status of a call: gRPC's codes, numbers and meanings, as the RPC layer's own
/// type. The generated `Mailgate_V1_Status.Code` stays on the wire (`wire`, `init(_:)`);
/// handlers and errors speak this one. Prints as its name, e.g. `notFound`.
public struct StatusCode: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// gRPC's number for the code.
    public let rawValue: Int

    private init(_ rawValue: Int) { self.rawValue = rawValue }

    public static let ok = StatusCode(0)
    public static let cancelled = StatusCode(1)
    public static let unknown = StatusCode(2)
    public static let invalidArgument = StatusCode(3)
    public static let deadlineExceeded = StatusCode(4)
    public static let notFound = StatusCode(5)
    public static let alreadyExists = StatusCode(6)
    public static let permissionDenied = StatusCode(7)
    public static let resourceExhausted = StatusCode(8)
    public static let failedPrecondition = StatusCode(9)
    public static let aborted = StatusCode(10)
    public static let outOfRange = StatusCode(11)
    public static let unimplemented = StatusCode(12)
    public static let `internal` = StatusCode(13)
    public static let unavailable = StatusCode(14)
    public static let dataLoss = StatusCode(15)
    public static let unauthenticated = StatusCode(16)

    public static let allCases: [StatusCode] = (0...16).map(StatusCode.init)

    private static let names = [
        "ok", "cancelled", "unknown", "invalidArgument", "deadlineExceeded", "notFound", "alreadyExists",
        "permissionDenied", "resourceExhausted", "failedPrecondition", "aborted", "outOfRange", "unimplemented",
        "internal", "unavailable", "dataLoss", "unauthenticated",
    ]

    /// The code a peer sent; a number this build does not know keeps its number.
    public init(_ wire: Mailgate_V1_Status.Code) {
        self.rawValue = wire.rawValue
    }

    /// The code as it goes on the wire.
    public var wire: Mailgate_V1_Status.Code {
        Mailgate_V1_Status.Code(rawValue: self.rawValue) ?? .UNRECOGNIZED(self.rawValue)
    }

    public var description: String {
        Self.names.indices.contains(self.rawValue) ? Self.names[self.rawValue] : "code\(self.rawValue)"
    }
}

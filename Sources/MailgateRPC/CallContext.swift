import MailgateProto
import Foundation
import Logging
import SwiftProtobuf

/// What a handler knows about the call it serves, besides the request itself.
public struct CallContext<Principal: Sendable>: Sendable {
    /// The full method name, e.g. `/mailgate.v1.Mailer/SendMail`.
    public var method: String
    /// Call metadata with lowercase keys.
    public var metadata: [String: String]
    /// When the call's deadline passes; the handler is cancelled then.
    public var deadline: ContinuousClock.Instant
    /// Where the call came from.
    public var peer: PeerAddress
    /// Who made the call; nil only for methods that need no authentication.
    public var principal: Principal?
    /// A logger carrying the method and a request id.
    public var logger: Logger
    /// Where a long call reports partial results as they come (ValidateServer: the checks done
    /// so far), for in-process callers such as the console. Nil for remote calls: the wire
    /// protocol answers each call once.
    public var progress: (@Sendable (any SwiftProtobuf.Message) -> Void)?

    public init(
        method: String,
        metadata: [String: String],
        deadline: ContinuousClock.Instant,
        peer: PeerAddress,
        principal: Principal?,
        logger: Logger
    ) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
        self.principal = principal
        self.logger = logger
    }

    /// The authenticated principal; fails with UNAUTHENTICATED for unauthenticated methods.
    public func requirePrincipal() throws(RPCError) -> Principal {
        guard let principal = self.principal else {
            throw RPCError(code: .unauthenticated, message: "This method needs an API key.")
        }
        return principal
    }
}

/// The one gate every authenticated call passes: reads the caller's credentials from
/// the call metadata and says who they are, or throws an `RPCError`
/// (UNAUTHENTICATED for a missing, malformed or unknown key). `peer` is where the call came
/// from, for limits on failed attempts per address.
public protocol CallAuthenticator<Principal>: Sendable {
    associatedtype Principal: Sendable

    func authenticate(metadata: [String: String], method: String, peer: PeerAddress) async throws -> Principal
}

extension Dictionary where Key == String, Value == String {
    /// The API key of an `authorization: Bearer <key>` metadata entry, or nil when
    /// the entry is missing or not a bearer credential.
    public var bearerToken: String? {
        guard let value = self["authorization"] else { return nil }
        // On UTF-8 bytes: this runs for every call.
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let bytes = value.utf8.drop(while: isBlank)
        let scheme = bytes.prefix { !isBlank($0) }
        guard scheme.count == 6, String(decoding: scheme, as: UTF8.self).lowercased() == "bearer" else { return nil }
        var token = bytes.dropFirst(6).drop(while: isBlank)
        while let last = token.last, isBlank(last) { token = token.dropLast() }
        return token.isEmpty ? nil : String(decoding: token, as: UTF8.self)
    }
}

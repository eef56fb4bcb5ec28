import MailgateProto
import Foundation
import Logging
import SwiftProtobuf

/// Maps full method names to typed handlers.
///
/// Handlers are registered with their request and response message types; the router
/// decodes the payload, authenticates the caller (unless the method is public),
/// runs the handler and encodes its response or error.
public struct RPCRouter<Principal: Sendable>: Sendable {
    /// A registered method, type-erased over its messages.
    struct Method: Sendable {
        var requiresAuthentication: Bool
        var invoke: @Sendable (Data, CallContext<Principal>) async throws -> Data
    }

    private(set) var methods: [String: Method] = [:]

    public init() {}

    /// Registers a handler for `method`.
    /// - Parameter requiresAuthentication: false only for health checks.
    public mutating func register<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        request: Request.Type = Request.self,
        response: Response.Type = Response.self,
        requiresAuthentication: Bool = true,
        handler: @escaping @Sendable (Request, CallContext<Principal>) async throws -> Response
    ) {
        precondition(self.methods[method] == nil, "method \(method) registered twice")
        self.methods[method] = Method(requiresAuthentication: requiresAuthentication) { payload, context in
            let request: Request
            do {
                request = try Request(serializedBytes: payload)
            } catch {
                throw RPCError(
                    code: .invalidArgument,
                    message: "The request payload is not a valid \(Request.protoMessageName).",
                    reason: "MALFORMED_REQUEST"
                )
            }
            let response = try await handler(request, context)
            return try response.serializedData()
        }
    }

    /// Whether `method` is registered.
    public func contains(_ method: String) -> Bool {
        self.methods[method] != nil
    }

    /// The registered method names, sorted.
    public var methodNames: [String] { self.methods.keys.sorted() }

    func method(named name: String) -> Method? {
        self.methods[name]
    }
}

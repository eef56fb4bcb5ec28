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

    /// Calls a registered method in-process, as a remote call with `context` would run it: the
    /// same handler, the same checks of `context.principal`, the same errors (always an `RPCError`). For
    /// front ends in the same process (the console) that must not re-implement any rule.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request,
        returning: Response.Type = Response.self,
        context: CallContext<Principal>
    ) async throws -> Response {
        guard let registered = self.methods[method] else {
            throw RPCError(code: .unimplemented, message: "Unknown method \(method).")
        }
        if registered.requiresAuthentication, context.principal == nil {
            throw RPCError(code: .unauthenticated, message: "This method needs an API key.")
        }
        do {
            let reply = try await registered.invoke(try request.serializedData(), context)
            return try Response(serializedBytes: reply)
        } catch {
            throw RPCError(converting: error)
        }
    }

    func method(named name: String) -> Method? {
        self.methods[name]
    }
}

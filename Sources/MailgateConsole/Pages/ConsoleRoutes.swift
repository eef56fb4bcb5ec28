import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailgateProto
import MailgateRPC
import SwiftProtobuf

/// The console's pages and the small JSON endpoints its script uses. Every handler reads
/// and writes through `ConsoleBackend.call`, as the signed-in key.
struct ConsoleRoutes: Sendable {
    let backend: ConsoleBackend
    let configuration: ConsoleConfiguration
    let pages: PageRenderer

    func register(on router: Router<ConsoleRequestContext>) {
        router.get("/") { _, context in
            guard let session = context.session else { return Response.seeOther("/sign-in") }
            if let own = session.ownTenant { return Response.seeOther("/tenants/\(own)/servers") }
            return Response.seeOther("/tenants")
        }
        StaticAssets.register(on: router)
        SignInRoutes(backend: self.backend, configuration: self.configuration, pages: self.pages).register(on: router)
        self.registerTenantPages(on: router)
        self.registerServerPages(on: router)
        self.registerServerScripts(on: router)
        self.registerSheetPages(on: router)
        self.registerEventPages(on: router)
        self.registerLookupPages(on: router)
    }

    /// Calls `method` as the request's session, in `tenant` (call metadata, for methods whose
    /// request names none), telling `progress` its partial results.
    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request,
        returning: Response.Type = Response.self,
        context: ConsoleRequestContext,
        tenant: String? = nil,
        progress: (@Sendable (any SwiftProtobuf.Message) -> Void)? = nil
    ) async throws -> Response {
        guard let session = context.session else {
            throw RPCError(code: .unauthenticated, message: "Sign in again.")
        }
        return try await self.backend.call(
            method,
            request,
            returning: Response.self,
            as: session,
            peer: context.peer,
            tenant: tenant,
            progress: progress
        )
    }

    /// The page for a failed call: its message and field problems, with the HTTP status
    /// that matches the RPC status.
    func failure(_ error: any Error, context: ConsoleRequestContext) -> Hummingbird.Response {
        let rpcError = RPCError(converting: error)
        if rpcError.code == .unauthenticated { return Response.seeOther("/sign-in") }
        return self.pages.problem(
            Self.httpStatus(rpcError.code),
            Self.titleKey(rpcError.code),
            detail: rpcError.message,
            context: context
        )
    }

    static func httpStatus(_ code: StatusCode) -> HTTPResponse.Status {
        switch code {
        case .invalidArgument, .outOfRange: .badRequest
        case .notFound: .notFound
        case .permissionDenied: .forbidden
        case .alreadyExists, .aborted, .failedPrecondition: .conflict
        case .resourceExhausted: .tooManyRequests
        case .unavailable, .deadlineExceeded: .serviceUnavailable
        case .unauthenticated: .unauthorized
        default: .internalServerError
        }
    }

    static func titleKey(_ code: StatusCode) -> String {
        switch code {
        case .notFound: "not_found"
        case .permissionDenied: "not_allowed"
        case .invalidArgument, .outOfRange: "invalid_input"
        case .alreadyExists, .aborted, .failedPrecondition: "conflict"
        case .resourceExhausted: "too_many_requests"
        case .unavailable, .deadlineExceeded: "unavailable"
        default: "something_failed"
        }
    }

    /// The error banner of a page re-shown after a failed form: message and field problems.
    static func errorBanner(_ error: any Error) -> [String: Any] {
        let rpcError = RPCError(converting: error)
        return [
            "error": rpcError.message,
            "violations": rpcError.fieldViolations.map { ["field": $0.field, "description": $0.description] },
        ]
    }
}

extension Hummingbird.Parameters {
    /// A path parameter the route guarantees, percent-decoded (server names may hold any
    /// character but control characters).
    func value(_ name: String) -> String {
        let raw = self.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}

extension ConsoleRoutes {
    /// What the layout shows around a tenant's pages: its navigation and unread events.
    func chrome(_ tenant: String, context: ConsoleRequestContext) async -> [String: Any] {
        let unread = await self.unreadCount(tenant, context: context)
        return unread == 0 ? ["tenant": tenant] : ["tenant": tenant, "unread": unread]
    }
}

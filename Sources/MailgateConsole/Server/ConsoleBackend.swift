import Foundation
import Logging
import MailgateCore
import MailgateRPC
import MailgateService
import MailgateStore
import SwiftProtobuf
import Tracing

/// The parts of the running application the console uses. Every read and write goes
/// through `router`, the same handlers RPC callers reach, with the session's principal:
/// the console has no rule of its own about who may do what.
public struct ConsoleBackend: Sendable {
    let router: RPCRouter<Principal>
    let authenticator: any CallAuthenticator<Principal>
    let sessions: ConsoleSessionRepository
    let consent: ConsentService
    /// Seals what a page must carry but not show (an uploaded sheet between its dry run and
    /// its import).
    let vault: Vault
    let logger: Logger

    public init(
        router: RPCRouter<Principal>,
        authenticator: any CallAuthenticator<Principal>,
        sessions: ConsoleSessionRepository,
        consent: ConsentService,
        vault: Vault,
        logger: Logger
    ) {
        self.router = router
        self.authenticator = authenticator
        self.sessions = sessions
        self.consent = consent
        self.vault = vault
        self.logger = logger
    }

    /// The application's parts.
    public init(application: MailgateApplication, logger: Logger) {
        self.init(
            router: application.router,
            authenticator: application.authenticator,
            sessions: application.consoleSessions,
            consent: application.consent,
            vault: application.vault,
            logger: logger
        )
    }

    /// Calls an RPC method as the signed-in key, in `tenant` (the `tenant` call metadata, for
    /// methods whose request names none), telling `progress` its partial results; failures are
    /// `RPCError`s.
    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request,
        returning: Response.Type = Response.self,
        as session: ConsoleSession,
        peer: PeerAddress,
        tenant: String? = nil,
        progress: (@Sendable (any SwiftProtobuf.Message) -> Void)? = nil
    ) async throws -> Response {
        var logger = self.logger
        logger[metadataKey: "method"] = "\(method)"
        logger[metadataKey: "via"] = "console"
        for (key, value) in session.principal.logMetadata { logger[metadataKey: key] = value }
        var context = CallContext(
            method: method,
            metadata: tenant.map { ["tenant": $0] } ?? [:],
            deadline: .now + Self.callLimit,
            peer: peer,
            principal: session.principal,
            logger: logger
        )
        context.progress = progress
        let call = context
        return try await withSpan(method, ofKind: .server) { span in
            span.attributes["rpc.system"] = "mailgate"
            span.attributes["rpc.method"] = method
            span.attributes["mailgate.via"] = "console"
            return try await Self.withinLimit(method) {
                try await self.router.call(method, request, returning: Response.self, context: call)
            }
        }
    }

    /// How long a console action may take: ValidateServer's longest run, with room.
    static let callLimit: Duration = .seconds(120)

    /// `body`, cancelled with DEADLINE_EXCEEDED once `callLimit` passes, as a remote call would be.
    private static func withinLimit<Value: Sendable>(
        _ method: String,
        _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try await withThrowingTaskGroup(of: Value.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: Self.callLimit)
                throw RPCError(code: .deadlineExceeded, message: "\(method) did not finish in time.")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

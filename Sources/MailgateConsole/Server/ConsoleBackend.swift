import Foundation
import Logging
import MailgateCore
import MailgateRPC
import MailgateService
import MailgateStore
import SwiftProtobuf

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
        var context = CallContext(
            method: method,
            metadata: tenant.map { ["tenant": $0] } ?? [:],
            deadline: .now + .seconds(120),
            peer: peer,
            principal: session.principal,
            logger: logger
        )
        context.progress = progress
        return try await self.router.call(method, request, returning: Response.self, context: context)
    }
}

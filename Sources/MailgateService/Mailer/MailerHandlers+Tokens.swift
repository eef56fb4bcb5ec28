import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import SwiftProtobuf

extension MailerHandlers {
    func registerTokenMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "RefreshToken",
            request: Mailgate_V1_RefreshTokenRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            guard let server = try await self.servers.find(tenantID: tenant.id, idOrName: request.server) else {
                throw RPCError(code: .notFound, message: "No server \(request.server) in this tenant.")
            }
            guard server.definition.authType == .oauth2, let oauth = server.definition.oauth else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "Server \(server.definition.name) does not use OAuth; there is no token to refresh.",
                    reason: "NOT_OAUTH"
                )
            }
            try await self.quotas.admitTokenRefresh(tenant)
            switch try await self.tokens.token(for: server, freshness: .forced) {
            case .success(let token):
                context.logger.info(
                    "access token refreshed on request",
                    metadata: [
                        "tenant": "\(tenant.slug)", "server": "\(server.definition.name)",
                        "rotated": "\(token.refreshTokenRotated)",
                    ]
                )
                var response = Mailgate_V1_RefreshTokenResponse()
                response.accessTokenExpiresAt = Google_Protobuf_Timestamp(date: token.expiresAt)
                response.refreshTokenRotated = token.refreshTokenRotated
                response.scopes = token.scopes
                response.provider = Mailgate_V1_OAuthProvider(oauth.provider)
                response.flow = Mailgate_V1_OAuthFlow(oauth.flow)
                return response
            case .failure(let failure):
                throw RPCError(failure, server: server.definition.name)
            }
        }
    }
}

extension RPCError {
    /// A token failure as a status: UNAVAILABLE with a retry time when waiting helps,
    /// FAILED_PRECONDITION with the reason when an operator must act.
    init(_ failure: TokenFailure, server: String) {
        let message = "Server \(server) could not obtain an OAuth token: \(failure.detail). \(failure.reason.remedy)"
        if failure.reason.isTransient {
            let wait = failure.retryAt.map { max(1, $0.timeIntervalSinceNow) } ?? 30
            self.init(
                code: .unavailable,
                message: message,
                reason: failure.reason.rawValue,
                retryAfterMilliseconds: UInt64(wait * 1000)
            )
        } else {
            self.init(code: .failedPrecondition, message: message, reason: failure.reason.rawValue)
        }
    }
}

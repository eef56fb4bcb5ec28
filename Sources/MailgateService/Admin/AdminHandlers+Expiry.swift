import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import SwiftProtobuf

extension AdminHandlers {
    /// The longest window ListExpiringSecrets accepts: ten years.
    static let maximumExpiryWindow: UInt64 = 10 * 366 * 86400

    func registerExpiryMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "ListExpiringSecrets",
            request: Mailgate_V1_ListExpiringSecretsRequest.self,
            health: self.health
        ) {
            request,
            context in
            guard request.withinSeconds <= Self.maximumExpiryWindow else {
                throw ValidationError(
                    "The window is too long.",
                    violations: [Violation("within_seconds", "must be at most \(Self.maximumExpiryWindow) (ten years)")]
                )
            }
            // Operators see every tenant unless they name one; tenant keys see their own.
            let tenant = try await self.resolver.optionalTenant(request.tenant, context: context)
            let now = Date()
            let secrets = try await self.expiry.list(
                before: now.addingTimeInterval(TimeInterval(request.withinSeconds)),
                tenantID: tenant?.id
            )
            var response = Mailgate_V1_ListExpiringSecretsResponse()
            response.secrets = secrets.map { Mailgate_V1_ExpiringSecret($0, now: now) }
            return response
        }
    }
}

extension Mailgate_V1_ExpiringSecret {
    init(_ secret: ExpiringSecret, now: Date) {
        self.init()
        self.tenantID = secret.tenantID.uuidString.lowercased()
        self.tenantSlug = secret.tenantSlug
        self.serverID = secret.serverID.uuidString.lowercased()
        self.serverName = secret.serverName
        self.provider = Mailgate_V1_OAuthProvider(secret.provider)
        self.clientID = secret.clientID
        self.expiresAt = Google_Protobuf_Timestamp(date: secret.expiresAt)
        self.source = secret.source.map(Mailgate_V1_ExpirySource.init) ?? .unspecified
        self.daysLeft = Int64(ExpiryWarnings.daysLeft(expiresAt: secret.expiresAt, now: now))
        if let threshold = secret.lastWarning, let at = secret.lastWarningAt {
            let what = threshold == ExpiryWarnings.expired ? "expired" : "\(threshold) days"
            self.lastWarning = "\(what) (sent \(at.formatted(.iso8601)))"
        }
    }
}

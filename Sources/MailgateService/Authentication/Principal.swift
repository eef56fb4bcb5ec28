import Foundation
import Logging
import MailgateRPC

/// Who is making a call, as established by the authenticator.
public struct Principal: Sendable, Hashable {
    /// What a key may act on.
    public enum Scope: Sendable, Hashable {
        /// Platform-wide: operators.
        case operator_
        /// One tenant.
        case tenant(TenantReference)
    }

    /// The key id (public part of the key): the actor of audit events.
    public var keyID: String
    public var scope: Scope

    public init(keyID: String, scope: Scope) {
        self.keyID = keyID
        self.scope = scope
    }

    public var isOperator: Bool { self.scope == .operator_ }
}

/// A tenant by id and slug.
public struct TenantReference: Sendable, Hashable {
    public var id: UUID
    public var slug: String

    public init(id: UUID, slug: String) {
        self.id = id
        self.slug = slug
    }
}

extension Principal: LogDescribable {
    /// `key_id`, and `tenant` for tenant keys: who made a call, in its log lines.
    public var logMetadata: Logger.Metadata {
        switch self.scope {
        case .operator_: ["key_id": "\(self.keyID)"]
        case .tenant(let tenant): ["key_id": "\(self.keyID)", "tenant": "\(tenant.slug)"]
        }
    }
}

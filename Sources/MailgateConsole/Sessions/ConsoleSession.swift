import MailgateService
import MailgateStore

/// A signed-in browser: the key's principal and the token its forms must carry.
struct ConsoleSession: Sendable {
    var principal: Principal
    var csrfToken: String
    /// SHA-256 of the cookie's value: what sign-out deletes.
    var idHash: [UInt8]

    /// The tenant a tenant key is confined to; nil for operators.
    var ownTenant: String? {
        if case .tenant(let tenant) = self.principal.scope { return tenant.slug }
        return nil
    }
}

extension ConsoleSession {
    init(record: ConsoleSessionRecord, idHash: [UInt8]) {
        let scope: Principal.Scope =
            if let tenantID = record.tenantID {
                .tenant(TenantReference(id: tenantID, slug: record.tenantSlug ?? ""))
            } else {
                .operator_
            }
        self.init(principal: Principal(keyID: record.keyID, scope: scope), csrfToken: record.csrfToken, idHash: idHash)
    }
}

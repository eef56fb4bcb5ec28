import MailgateClient
import MailgateProto

/// What tests set up through an operator's client: a tenant, and a key for it.
extension MailgateClient {
    @discardableResult
    func makeTenant(_ slug: String, contacts: [String] = []) async throws -> Mailgate_V1_Tenant {
        var request = Mailgate_V1_CreateTenantRequest()
        request.slug = slug
        request.displayName = "Tenant \(slug)"
        request.alertContacts = contacts
        return try await self.createTenant(request)
    }

    /// A new key of `tenant`: its record and, once only, its full secret form.
    func makeTenantKey(_ tenant: String) async throws -> Mailgate_V1_CreateApiKeyResponse {
        var request = Mailgate_V1_CreateApiKeyRequest()
        request.scope = .tenant
        request.tenant = tenant
        request.description_p = "test key for \(tenant)"
        return try await self.createApiKey(request)
    }
}

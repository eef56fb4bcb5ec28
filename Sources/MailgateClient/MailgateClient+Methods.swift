import MailgateProto
import MailgateRPC

/// Typed methods for every RPC of `mailgate.v1`.
extension MailgateClient {
    // MARK: Health

    /// Liveness: needs no API key.
    public func check() async throws(RPCError) -> Mailgate_V1_CheckResponse {
        try await self.call("/mailgate.v1.Health/Check", Mailgate_V1_CheckRequest())
    }

    /// Who the configured API key is.
    public func whoAmI() async throws(RPCError) -> Mailgate_V1_WhoAmIResponse {
        try await self.call("/mailgate.v1.Health/WhoAmI", Mailgate_V1_WhoAmIRequest())
    }

    // MARK: Mailer

    public func sendMail(_ request: Mailgate_V1_SendMailRequest) async throws(RPCError) -> Mailgate_V1_SendMailResponse
    {
        try await self.call("/mailgate.v1.Mailer/SendMail", request)
    }

    public func getMessage(_ request: Mailgate_V1_GetMessageRequest) async throws(RPCError)
        -> Mailgate_V1_GetMessageResponse
    {
        try await self.call("/mailgate.v1.Mailer/GetMessage", request)
    }

    public func cancelMessage(
        _ request: Mailgate_V1_CancelMessageRequest
    ) async throws(RPCError) -> Mailgate_V1_CancelMessageResponse {
        try await self.call("/mailgate.v1.Mailer/CancelMessage", request)
    }

    /// Validation runs for seconds (a test message, slow servers): `timeout` overrides the
    /// default; the server fits every check within it.
    public func validateServer(
        _ request: Mailgate_V1_ValidateServerRequest,
        timeout: Duration? = nil
    ) async throws(RPCError) -> Mailgate_V1_ValidateServerResponse {
        try await self.call("/mailgate.v1.Mailer/ValidateServer", request, timeout: timeout)
    }

    public func refreshToken(
        _ request: Mailgate_V1_RefreshTokenRequest
    ) async throws(RPCError) -> Mailgate_V1_RefreshTokenResponse {
        try await self.call("/mailgate.v1.Mailer/RefreshToken", request)
    }

    // MARK: Admin

    public func createTenant(_ request: Mailgate_V1_CreateTenantRequest) async throws(RPCError) -> Mailgate_V1_Tenant {
        try await self.call("/mailgate.v1.Admin/CreateTenant", request)
    }

    public func getTenant(_ request: Mailgate_V1_GetTenantRequest) async throws(RPCError) -> Mailgate_V1_Tenant {
        try await self.call("/mailgate.v1.Admin/GetTenant", request)
    }

    public func listTenants(
        _ request: Mailgate_V1_ListTenantsRequest
    ) async throws(RPCError) -> Mailgate_V1_ListTenantsResponse {
        try await self.call("/mailgate.v1.Admin/ListTenants", request)
    }

    public func updateTenant(_ request: Mailgate_V1_UpdateTenantRequest) async throws(RPCError) -> Mailgate_V1_Tenant {
        try await self.call("/mailgate.v1.Admin/UpdateTenant", request)
    }

    public func createApiKey(
        _ request: Mailgate_V1_CreateApiKeyRequest
    ) async throws(RPCError) -> Mailgate_V1_CreateApiKeyResponse {
        try await self.call("/mailgate.v1.Admin/CreateApiKey", request)
    }

    public func revokeApiKey(_ request: Mailgate_V1_RevokeApiKeyRequest) async throws(RPCError) -> Mailgate_V1_ApiKey {
        try await self.call("/mailgate.v1.Admin/RevokeApiKey", request)
    }

    public func listApiKeys(
        _ request: Mailgate_V1_ListApiKeysRequest
    ) async throws(RPCError) -> Mailgate_V1_ListApiKeysResponse {
        try await self.call("/mailgate.v1.Admin/ListApiKeys", request)
    }

    /// Creates or updates a server; `timeout` overrides the default deadline (puts of one
    /// tenant are serialized, so many at once wait for each other).
    public func putServer(
        _ request: Mailgate_V1_PutServerRequest,
        timeout: Duration? = nil
    ) async throws(RPCError) -> Mailgate_V1_OutputServer {
        try await self.call("/mailgate.v1.Admin/PutServer", request, timeout: timeout)
    }

    public func getServer(_ request: Mailgate_V1_GetServerRequest) async throws(RPCError) -> Mailgate_V1_OutputServer {
        try await self.call("/mailgate.v1.Admin/GetServer", request)
    }

    public func listServers(
        _ request: Mailgate_V1_ListServersRequest
    ) async throws(RPCError) -> Mailgate_V1_ListServersResponse {
        try await self.call("/mailgate.v1.Admin/ListServers", request)
    }

    public func deleteServer(
        _ request: Mailgate_V1_DeleteServerRequest
    ) async throws(RPCError) -> Mailgate_V1_DeleteServerResponse {
        try await self.call("/mailgate.v1.Admin/DeleteServer", request)
    }

    public func beginAuthorization(
        _ request: Mailgate_V1_BeginAuthorizationRequest
    ) async throws(RPCError) -> Mailgate_V1_BeginAuthorizationResponse {
        try await self.call("/mailgate.v1.Admin/BeginAuthorization", request)
    }

    public func completeAuthorization(
        _ request: Mailgate_V1_CompleteAuthorizationRequest
    ) async throws(RPCError) -> Mailgate_V1_CompleteAuthorizationResponse {
        try await self.call("/mailgate.v1.Admin/CompleteAuthorization", request)
    }

    public func listExpiringSecrets(
        _ request: Mailgate_V1_ListExpiringSecretsRequest
    ) async throws(RPCError) -> Mailgate_V1_ListExpiringSecretsResponse {
        try await self.call("/mailgate.v1.Admin/ListExpiringSecrets", request)
    }

    public func listEvents(_ request: Mailgate_V1_ListEventsRequest) async throws(RPCError)
        -> Mailgate_V1_ListEventsResponse
    {
        try await self.call("/mailgate.v1.Admin/ListEvents", request)
    }

    /// Marks events read (tenant keys: their own tenant's); ids of other tenants' events are ignored.
    public func markEventsRead(_ request: Mailgate_V1_MarkEventsReadRequest) async throws(RPCError)
        -> Mailgate_V1_MarkEventsReadResponse
    {
        try await self.call("/mailgate.v1.Admin/MarkEventsRead", request)
    }

    /// The tenant's servers as an .xlsx or CSV file, or the empty template; never secrets.
    public func exportServers(_ request: Mailgate_V1_ExportServersRequest) async throws(RPCError)
        -> Mailgate_V1_ExportServersResponse
    {
        try await self.call("/mailgate.v1.Admin/ExportServers", request)
    }

    /// Creates and updates servers from a filled-in sheet, with a report per row.
    /// `timeout` overrides the default deadline: a large sheet takes a while.
    public func importServers(
        _ request: Mailgate_V1_ImportServersRequest,
        timeout: Duration? = nil
    ) async throws(RPCError) -> Mailgate_V1_ImportServersResponse {
        try await self.call("/mailgate.v1.Admin/ImportServers", request, timeout: timeout)
    }

    /// Creates a webhook subscription (its signing secret in the answer, once) or replaces one by name.
    public func putWebhookSubscription(_ request: Mailgate_V1_PutWebhookSubscriptionRequest) async throws(RPCError)
        -> Mailgate_V1_PutWebhookSubscriptionResponse
    {
        try await self.call("/mailgate.v1.Admin/PutWebhookSubscription", request)
    }

    /// The tenant's webhook subscriptions; never their secrets.
    public func listWebhookSubscriptions(_ request: Mailgate_V1_ListWebhookSubscriptionsRequest) async throws(RPCError)
        -> Mailgate_V1_ListWebhookSubscriptionsResponse
    {
        try await self.call("/mailgate.v1.Admin/ListWebhookSubscriptions", request)
    }

    /// Deletes a webhook subscription and its deliveries.
    public func deleteWebhookSubscription(_ request: Mailgate_V1_DeleteWebhookSubscriptionRequest)
        async throws(RPCError)
        -> Mailgate_V1_DeleteWebhookSubscriptionResponse
    {
        try await self.call("/mailgate.v1.Admin/DeleteWebhookSubscription", request)
    }

    /// Replaces a subscription's signing secret; the new one is in the answer, once.
    public func rotateWebhookSecret(_ request: Mailgate_V1_RotateWebhookSecretRequest) async throws(RPCError)
        -> Mailgate_V1_RotateWebhookSecretResponse
    {
        try await self.call("/mailgate.v1.Admin/RotateWebhookSecret", request)
    }

    /// A subscription's deliveries, newest first, with their latest attempts.
    public func listWebhookDeliveries(_ request: Mailgate_V1_ListWebhookDeliveriesRequest) async throws(RPCError)
        -> Mailgate_V1_ListWebhookDeliveriesResponse
    {
        try await self.call("/mailgate.v1.Admin/ListWebhookDeliveries", request)
    }

    /// Sends a `webhook_test` event to one subscription, whatever its filters.
    public func sendWebhookTestEvent(_ request: Mailgate_V1_SendWebhookTestEventRequest) async throws(RPCError)
        -> Mailgate_V1_SendWebhookTestEventResponse
    {
        try await self.call("/mailgate.v1.Admin/SendWebhookTestEvent", request)
    }
}

import MailgateProto
import SwiftProtobuf

/// Every method of the contract with its message types, for callers that name a method at run
/// time (`mailgate call`). A test checks it against the methods the server registers.
public enum MailgateMethods {
    /// One method: its full name and the types of its request and response.
    public struct Method: Sendable {
        public let name: String
        public let request: any SwiftProtobuf.Message.Type
        public let response: any SwiftProtobuf.Message.Type

        init(_ name: String, _ request: any SwiftProtobuf.Message.Type, _ response: any SwiftProtobuf.Message.Type) {
            self.name = name
            self.request = request
            self.response = response
        }
    }

    public static let all: [Method] = [
        Method("/mailgate.v1.Health/Check", Mailgate_V1_CheckRequest.self, Mailgate_V1_CheckResponse.self),
        Method("/mailgate.v1.Health/WhoAmI", Mailgate_V1_WhoAmIRequest.self, Mailgate_V1_WhoAmIResponse.self),
        Method("/mailgate.v1.Mailer/SendMail", Mailgate_V1_SendMailRequest.self, Mailgate_V1_SendMailResponse.self),
        Method(
            "/mailgate.v1.Mailer/GetMessage",
            Mailgate_V1_GetMessageRequest.self,
            Mailgate_V1_GetMessageResponse.self
        ),
        Method(
            "/mailgate.v1.Mailer/CancelMessage",
            Mailgate_V1_CancelMessageRequest.self,
            Mailgate_V1_CancelMessageResponse.self
        ),
        Method(
            "/mailgate.v1.Mailer/ValidateServer",
            Mailgate_V1_ValidateServerRequest.self,
            Mailgate_V1_ValidateServerResponse.self
        ),
        Method(
            "/mailgate.v1.Mailer/RefreshToken",
            Mailgate_V1_RefreshTokenRequest.self,
            Mailgate_V1_RefreshTokenResponse.self
        ),
        Method("/mailgate.v1.Admin/CreateTenant", Mailgate_V1_CreateTenantRequest.self, Mailgate_V1_Tenant.self),
        Method("/mailgate.v1.Admin/GetTenant", Mailgate_V1_GetTenantRequest.self, Mailgate_V1_Tenant.self),
        Method(
            "/mailgate.v1.Admin/ListTenants",
            Mailgate_V1_ListTenantsRequest.self,
            Mailgate_V1_ListTenantsResponse.self
        ),
        Method("/mailgate.v1.Admin/UpdateTenant", Mailgate_V1_UpdateTenantRequest.self, Mailgate_V1_Tenant.self),
        Method(
            "/mailgate.v1.Admin/CreateApiKey",
            Mailgate_V1_CreateApiKeyRequest.self,
            Mailgate_V1_CreateApiKeyResponse.self
        ),
        Method("/mailgate.v1.Admin/RevokeApiKey", Mailgate_V1_RevokeApiKeyRequest.self, Mailgate_V1_ApiKey.self),
        Method(
            "/mailgate.v1.Admin/ListApiKeys",
            Mailgate_V1_ListApiKeysRequest.self,
            Mailgate_V1_ListApiKeysResponse.self
        ),
        Method("/mailgate.v1.Admin/PutServer", Mailgate_V1_PutServerRequest.self, Mailgate_V1_OutputServer.self),
        Method("/mailgate.v1.Admin/GetServer", Mailgate_V1_GetServerRequest.self, Mailgate_V1_OutputServer.self),
        Method(
            "/mailgate.v1.Admin/ListServers",
            Mailgate_V1_ListServersRequest.self,
            Mailgate_V1_ListServersResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/DeleteServer",
            Mailgate_V1_DeleteServerRequest.self,
            Mailgate_V1_DeleteServerResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/BeginAuthorization",
            Mailgate_V1_BeginAuthorizationRequest.self,
            Mailgate_V1_BeginAuthorizationResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/CompleteAuthorization",
            Mailgate_V1_CompleteAuthorizationRequest.self,
            Mailgate_V1_CompleteAuthorizationResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/ListExpiringSecrets",
            Mailgate_V1_ListExpiringSecretsRequest.self,
            Mailgate_V1_ListExpiringSecretsResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/ListEvents",
            Mailgate_V1_ListEventsRequest.self,
            Mailgate_V1_ListEventsResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/MarkEventsRead",
            Mailgate_V1_MarkEventsReadRequest.self,
            Mailgate_V1_MarkEventsReadResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/ExportServers",
            Mailgate_V1_ExportServersRequest.self,
            Mailgate_V1_ExportServersResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/ImportServers",
            Mailgate_V1_ImportServersRequest.self,
            Mailgate_V1_ImportServersResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/PutWebhookSubscription",
            Mailgate_V1_PutWebhookSubscriptionRequest.self,
            Mailgate_V1_PutWebhookSubscriptionResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/ListWebhookSubscriptions",
            Mailgate_V1_ListWebhookSubscriptionsRequest.self,
            Mailgate_V1_ListWebhookSubscriptionsResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/DeleteWebhookSubscription",
            Mailgate_V1_DeleteWebhookSubscriptionRequest.self,
            Mailgate_V1_DeleteWebhookSubscriptionResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/RotateWebhookSecret",
            Mailgate_V1_RotateWebhookSecretRequest.self,
            Mailgate_V1_RotateWebhookSecretResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/ListWebhookDeliveries",
            Mailgate_V1_ListWebhookDeliveriesRequest.self,
            Mailgate_V1_ListWebhookDeliveriesResponse.self
        ),
        Method(
            "/mailgate.v1.Admin/SendWebhookTestEvent",
            Mailgate_V1_SendWebhookTestEventRequest.self,
            Mailgate_V1_SendWebhookTestEventResponse.self
        ),
    ]

    /// The method of this full name (`/mailgate.v1.Health/WhoAmI`), or of this short one
    /// (`Health/WhoAmI`, `WhoAmI`) when only one method has it.
    public static func named(_ name: String) -> Method? {
        if let exact = all.first(where: { $0.name == name }) { return exact }
        let suffix = name.hasPrefix("/") ? name : "/" + name
        let found = all.filter { $0.name.hasSuffix(suffix) || $0.name.hasSuffix("." + name) }
        return found.count == 1 ? found[0] : nil
    }
}

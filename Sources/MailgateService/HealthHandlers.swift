import MailgateProto
import MailgateRPC

/// `mailgate.v1.Health`: the unauthenticated liveness check and `WhoAmI`.
public struct HealthHandlers: Sendable {
    public static let checkMethod = "/mailgate.v1.Health/Check"
    public static let whoAmIMethod = "/mailgate.v1.Health/WhoAmI"

    let version: String
    let isDraining: @Sendable () -> Bool

    public init(version: String, isDraining: @escaping @Sendable () -> Bool) {
        self.version = version
        self.isDraining = isDraining
    }

    public func register(into router: inout RPCRouter<Principal>) {
        router.register(
            Self.checkMethod,
            request: Mailgate_V1_CheckRequest.self,
            requiresAuthentication: false
        ) { _, _ in
            var response = Mailgate_V1_CheckResponse()
            response.status = self.isDraining() ? .draining : .serving
            response.serverVersion = self.version
            return response
        }
        router.register(Self.whoAmIMethod, request: Mailgate_V1_WhoAmIRequest.self) { _, context in
            let principal = try context.requirePrincipal()
            var response = Mailgate_V1_WhoAmIResponse()
            response.keyID = principal.keyID
            switch principal.scope {
            case .operator_:
                response.scope = "operator"
            case .tenant(let tenant):
                response.scope = "tenant"
                response.tenantSlug = tenant.slug
            }
            return response
        }
    }
}

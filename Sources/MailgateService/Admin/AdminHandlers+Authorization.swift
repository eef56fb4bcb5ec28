import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import SwiftProtobuf

extension AdminHandlers {
    func registerAuthorizationMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "BeginAuthorization",
            request: Mailgate_V1_BeginAuthorizationRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let server = try await self.server(request.server, in: tenant)
            let started = try await self.consent.begin(
                server: server,
                requestedRedirectURI: request.redirectUri,
                keyID: principal.keyID
            )
            context.logger.info(
                "consent begun",
                metadata: [
                    "tenant": "\(tenant.slug)", "server": "\(server.definition.name)", "actor": "\(principal.keyID)",
                ]
            )
            var response = Mailgate_V1_BeginAuthorizationResponse()
            response.authorizationURL = started.url
            response.state = started.state
            response.expiresAt = Google_Protobuf_Timestamp(date: started.expiresAt)
            return response
        }

        router.registerStoreBacked(
            Self.service + "CompleteAuthorization",
            request: Mailgate_V1_CompleteAuthorizationRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            guard !request.state.isEmpty, !request.code.isEmpty else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "Give the state from BeginAuthorization and the code the provider returned.",
                    fieldViolations: (request.state.isEmpty ? [.init(field: "state", description: "is required")] : [])
                        + (request.code.isEmpty ? [.init(field: "code", description: "is required")] : [])
                )
            }
            switch try await self.consent.complete(
                state: request.state,
                code: request.code,
                providerError: nil,
                keyID: principal.keyID
            ) {
            case .success(let server):
                var response = Mailgate_V1_CompleteAuthorizationResponse()
                response.server = await self.outputServer(server)
                return response
            case .failure(let failure):
                throw failure.rpcError
            }
        }
    }
}

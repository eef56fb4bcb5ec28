import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

extension AdminHandlers {
    func registerServerMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "PutServer",
            request: Mailgate_V1_PutServerRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let outcome = try await self.servers.put(
                tenantID: tenant.id,
                name: request.name,
                expectedVersion: request.expectedVersion == 0 ? nil : Int64(request.expectedVersion),
                actor: principal.keyID,
                prepare: Self.preparation(of: request, destinations: self.destinations)
            )
            context.logger.info(
                "server \(outcome.change.rawValue)",
                metadata: [
                    "tenant": "\(tenant.slug)", "server": "\(outcome.server.definition.name)",
                    "version": "\(outcome.server.version)", "actor": "\(principal.keyID)",
                ]
            )
            if outcome.change == .updated {
                // Whatever was changed (host, TLS, credentials) may be the fix a blocked
                // server waited for: its mail is tried again now, on every replica.
                _ = try? await self.blocks?.unblock(
                    tenantID: tenant.id,
                    serverID: outcome.server.id,
                    serverName: outcome.server.definition.name,
                    why: "the server was changed by key \(principal.keyID)"
                )
            }
            return await self.outputServer(outcome.server)
        }

        router.registerStoreBacked(
            Self.service + "GetServer",
            request: Mailgate_V1_GetServerRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            return await self.outputServer(try await self.server(request.server, in: tenant))
        }

        router.registerStoreBacked(
            Self.service + "ListServers",
            request: Mailgate_V1_ListServersRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let limit = PageToken.pageSize(request.pageSize)
            let page = try await self.servers.list(
                tenantID: tenant.id,
                afterName: try PageToken.decode(request.pageToken),
                limit: limit + 1
            )
            var response = Mailgate_V1_ListServersResponse()
            let (servers, next) = PageToken.split(page, limit: limit) { $0.definition.name }
            let delivery = try await self.blocks?.deliveryStates(serverIDs: servers.map(\.id)) ?? [:]
            response.servers = servers.map { Mailgate_V1_OutputServer($0, delivery: delivery[$0.id]) }
            response.nextPageToken = next
            return response
        }

        router.registerStoreBacked(
            Self.service + "DeleteServer",
            request: Mailgate_V1_DeleteServerRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            guard !request.server.isEmpty else {
                throw ValidationError(
                    "Name the server to delete.",
                    violations: [Violation("server", "is required (id or name)")]
                )
            }
            let server = try await self.servers.delete(
                tenantID: tenant.id,
                idOrName: request.server,
                expectedVersion: request.expectedVersion == 0 ? nil : Int64(request.expectedVersion),
                actor: principal.keyID
            )
            context.logger.info(
                "server deleted",
                metadata: [
                    "tenant": "\(tenant.slug)", "server": "\(server.definition.name)", "actor": "\(principal.keyID)",
                ]
            )
            return Mailgate_V1_DeleteServerResponse()
        }
    }

    /// How a PutServer request becomes the stored definition and secret changes, given the
    /// current server (nil when new): PutServer's rules, or a `ValidationError` naming
    /// every violation. ImportServers prepares each row with it too.
    static func preparation(of request: Mailgate_V1_PutServerRequest, destinations: DestinationPolicy)
        -> @Sendable (ServerRecord?) throws -> (ServerDefinition, SecretChanges)
    {
        let (requested, changes, inputViolations) = request.definitionAndChanges
        let name = request.name
        return { existing in
            var definition = requested
            let stored = existing?.storedSecrets ?? StoredSecrets()
            let violations =
                inputViolations
                + ServerRules.prepare(
                    &definition,
                    secrets: stored.applying(changes),
                    changes: changes,
                    destinations: destinations
                )
            guard violations.isEmpty else {
                throw ValidationError("The server \(name) is not valid; nothing was changed.", violations: violations)
            }
            return (
                definition, ServerRules.droppingUnusedSecrets(changes, authType: definition.authType, stored: stored)
            )
        }
    }

    /// The tenant's server by id or name (empty: the default server); NOT_FOUND otherwise.
    func server(_ idOrName: String, in tenant: TenantReference) async throws -> ServerRecord {
        let found =
            idOrName.isEmpty
            ? try await self.servers.findDefault(tenantID: tenant.id)
            : try await self.servers.find(tenantID: tenant.id, idOrName: idOrName)
        guard let found else {
            throw RPCError(
                code: .notFound,
                message: idOrName.isEmpty
                    ? "The tenant has no default server." : "No server \(idOrName) in this tenant."
            )
        }
        return found
    }

    /// The server as callers see it, with the block or pause that keeps its mail waiting
    /// (left out, rather than failing the call, if it cannot be read).
    func outputServer(_ record: ServerRecord) async -> Mailgate_V1_OutputServer {
        let delivery = try? await self.blocks?.deliveryStates(serverIDs: [record.id])
        return Mailgate_V1_OutputServer(record, delivery: delivery?[record.id])
    }
}

import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import SwiftProtobuf

/// `mailgate.v1.Admin`: tenants, API keys, output servers and events.
///
/// Writes need an operator key; tenant keys may read their own tenant, keys, servers
/// and events. Every repository call is scoped by the tenant the `TenantResolver`
/// derives from the authenticated key, never by ids in the request alone.
public struct AdminHandlers: Sendable {
    static let service = "/mailgate.v1.Admin/"

    let tenants: TenantRepository
    let keys: APIKeyRepository
    let servers: ServerRepository
    /// Lifted when a put changes the server: the change may be the fix.
    let blocks: ServerBlockRepository?
    let events: EventRepository
    let consent: ConsentService
    let expiry: ExpiryRepository
    let resolver: TenantResolver
    let health: DatabaseHealth
    let quotas: TenantQuotaGate
    /// Where output servers and token URLs may point.
    let destinations: DestinationPolicy

    public init(
        tenants: TenantRepository,
        keys: APIKeyRepository,
        servers: ServerRepository,
        blocks: ServerBlockRepository? = nil,
        events: EventRepository,
        consent: ConsentService,
        expiry: ExpiryRepository,
        quotas: TenantQuotaGate,
        destinations: DestinationPolicy,
        health: DatabaseHealth
    ) {
        self.destinations = destinations
        self.quotas = quotas
        self.expiry = expiry
        self.health = health
        self.consent = consent
        self.tenants = tenants
        self.keys = keys
        self.servers = servers
        self.blocks = blocks
        self.events = events
        self.resolver = TenantResolver(tenants: tenants)
    }

    public func register(into router: inout RPCRouter<Principal>) {
        self.registerTenantMethods(into: &router)
        self.registerKeyMethods(into: &router)
        self.registerServerMethods(into: &router)
        self.registerEventMethods(into: &router)
        self.registerAuthorizationMethods(into: &router)
        self.registerExpiryMethods(into: &router)
        self.registerSheetMethods(into: &router)
    }
}

extension RPCRouter<Principal> {
    /// Registers an Admin or Mailer handler whose database failures reach the client as
    /// UNAVAILABLE or ABORTED (see `DatabaseErrors`), and that is refused at once
    /// while the database is unreachable.
    mutating func registerStoreBacked<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        request: Request.Type,
        health: DatabaseHealth,
        handler: @escaping @Sendable (Request, CallContext<Principal>) async throws -> Response
    ) {
        self.register(method, request: request) { request, context in
            try await health.guarding { try await handler(request, context) }
        }
    }
}

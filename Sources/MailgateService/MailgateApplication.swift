import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateRPC
import MailgateStore
import NIOCore
import Prometheus
import ServiceLifecycle
import Tracing

/// The composition root of `mailgate serve`: builds every part once and lists them, in
/// start order, as the services of one `ServiceGroup` (see `services`), which stops them
/// in reverse: the RPC server drains first, the PostgreSQL pool goes last.
public final class MailgateApplication: Sendable {
    /// What the application needs to start.
    public struct Configuration: Sendable {
        public var database: Database.Configuration
        public var rpc: RPCServerConfiguration
        public var migrations: [Migration]
        public var bootstrapOperatorKey: APIKey?
        /// The vault's master keys; required (DESIGN §6).
        public var masterKeys: MasterKeyRing
        /// How long a verified key is trusted before it is read again: the bound on revocation delay.
        public var keyCacheTTL: Duration
        /// Limits on failed authentications per client address, and the unknown-key cache.
        public var authentication: AuthenticationSettings
        public var workerID: String
        public var heartbeatInterval: Duration
        /// SendMail limits and delivery behaviour.
        public var mailer: MailerSettings
        /// Token requests to OAuth providers.
        public var tokens: TokenSettings
        /// The ops HTTP port (health, metrics, OAuth consent callback); nil = none.
        public var ops: OpsConfiguration?
        /// Client-secret expiry warnings.
        public var expiry: ExpirySettings
        /// Webhook deliveries.
        public var webhooks: WebhookSettings
        /// Reads the master key ring and TLS files again; when set, SIGHUP reloads them.
        public var reloadSettings: (@Sendable () throws -> ReloadableSettings)?
        /// Where spans go; nil uses the tracer in effect where the application is made
        /// (`withTracer`, else the bootstrapped one, else none).
        public var tracer: (any Tracer)?

        public init(
            database: Database.Configuration,
            rpc: RPCServerConfiguration,
            migrations: [Migration],
            bootstrapOperatorKey: APIKey?,
            masterKeys: MasterKeyRing,
            keyCacheTTL: Duration = .seconds(2),
            authentication: AuthenticationSettings = AuthenticationSettings(),
            workerID: String =
                "mailgate-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))",
            heartbeatInterval: Duration = .seconds(15),
            mailer: MailerSettings = MailerSettings(),
            tokens: TokenSettings = TokenSettings(),
            ops: OpsConfiguration? = nil,
            expiry: ExpirySettings = ExpirySettings(),
            webhooks: WebhookSettings = WebhookSettings(),
            reloadSettings: (@Sendable () throws -> ReloadableSettings)? = nil,
            tracer: (any Tracer)? = nil
        ) {
            self.database = database
            self.rpc = rpc
            self.migrations = migrations
            self.bootstrapOperatorKey = bootstrapOperatorKey
            self.masterKeys = masterKeys
            self.keyCacheTTL = keyCacheTTL
            self.authentication = authentication
            self.workerID = workerID
            self.heartbeatInterval = heartbeatInterval
            self.mailer = mailer
            self.tokens = tokens
            self.ops = ops
            self.expiry = expiry
            self.webhooks = webhooks
            self.reloadSettings = reloadSettings
            self.tracer = tracer
        }
    }

    /// The RPC server (tests read its listening address; SIGHUP reloads its certificate).
    public let rpcServer: RPCServer<Principal>
    /// Seals and opens secrets (tests seal fixtures with it; SIGHUP replaces its key ring).
    public let vault: Vault
    /// The ops HTTP port, when configured.
    public let opsServer: OpsHTTPServer?
    /// Client-secret expiry warnings (tests call `scanOnce(now:)` with their own clock).
    public let expiryScanner: ExpiryScanner
    /// Every RPC method; in-process front ends (the console) call it instead of repeating rules.
    public let router: RPCRouter<Principal>
    /// Checks API keys for calls and for console sign-ins (one failure allowance per address).
    public let authenticator: KeyAuthenticator
    /// OAuth consents: the console's callback completes them as the ops port's does.
    public let consent: ConsentService
    /// Console sign-ins.
    public var consoleSessions: ConsoleSessionRepository { self.database.consoleSessions }

    let database: Database
    let databaseHealth: DatabaseHealth
    let heartbeat: WorkerHeartbeat
    let delivery: DeliveryService
    let queueGauges: QueueGauges
    /// libcurl's HTTPS threads (token endpoints, Microsoft Graph).
    let http: HTTPTransport
    /// libcurl's threads for webhook posts, apart from the token requests' so that slow
    /// receivers never hold up a token refresh.
    let webhookHTTP: HTTPTransport
    let webhookDelivery: WebhookDeliveryService
    let validator: ServerValidator
    /// What `/readyz` answers; holds the latch that opens once the schema is current.
    let readiness: Readiness
    let configuration: Configuration
    let logger: Logger
    /// Every span of this application: calls, database, token requests, SMTP sends.
    let tracer: any Tracer

    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.tracer = configuration.tracer ?? InstrumentationSystem.tracer
        let metrics = PrometheusCollectorRegistry()
        let metricsFactory = PrometheusMetricsFactory(registry: metrics)
        let serviceMetrics = ServiceMetrics(factory: metricsFactory)
        self.vault = Vault(keyRing: configuration.masterKeys)
        let database = Database(
            configuration: configuration.database,
            vault: self.vault,
            metrics: metricsFactory,
            logger: logger
        )
        self.database = database
        self.databaseHealth = DatabaseHealth(probe: database.makeProbe(timeout: .seconds(3)), logger: logger)
        let authenticator = KeyAuthenticator(
            keys: database.keys,
            health: self.databaseHealth,
            cacheTTL: configuration.keyCacheTTL,
            settings: configuration.authentication,
            metrics: serviceMetrics,
            logger: logger
        )
        let wakeUp = DeliveryWakeUp { [messages = database.messages, logger] in
            do {
                try await messages.notifyWorkers()
            } catch {
                logger.debug(
                    "NOTIFY failed; other replicas find the mail by polling",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
            }
        }
        self.http = HTTPTransport(
            threadCount: configuration.tokens.concurrentRequests,
            destinations: configuration.mailer.destinations
        )
        self.webhookHTTP = HTTPTransport(
            threadCount: max(1, configuration.webhooks.workers),
            destinations: configuration.mailer.destinations
        )
        self.webhookDelivery = WebhookDeliveryService(
            owner: configuration.workerID,
            outbox: database.webhookOutbox,
            poster: WebhookPoster(
                http: self.webhookHTTP,
                timeout: configuration.webhooks.timeout,
                caFile: configuration.mailer.caFile
            ),
            settings: configuration.webhooks,
            metrics: serviceMetrics,
            logger: logger
        )
        let tokens = TokenService(
            servers: database.servers,
            blocks: database.blocks,
            vault: self.vault,
            http: self.http,
            concurrentRequests: configuration.tokens.concurrentRequests,
            settings: configuration.tokens,
            metrics: serviceMetrics,
            logger: logger
        )
        self.heartbeat = WorkerHeartbeat(
            workerID: configuration.workerID,
            deliveryWorkers: configuration.mailer.workers,
            workers: database.workers,
            interval: configuration.heartbeatInterval,
            metrics: serviceMetrics,
            logger: logger
        )
        self.delivery = DeliveryService(
            owner: configuration.workerID,
            database: database,
            vault: self.vault,
            tokens: tokens,
            settings: configuration.mailer,
            wakeUp: wakeUp,
            metrics: serviceMetrics,
            logger: logger
        )
        self.queueGauges = QueueGauges(
            queue: database.queue,
            blocks: database.blocks,
            metrics: serviceMetrics,
            interval: configuration.heartbeatInterval,
            logger: logger
        )
        self.validator = ServerValidator(
            validations: database.validations,
            queue: database.queue,
            tokens: tokens,
            blocks: database.blocks,
            vault: self.vault,
            settings: configuration.mailer,
            owner: configuration.workerID,
            metrics: serviceMetrics,
            logger: logger
        )
        self.expiryScanner = ExpiryScanner(
            expiry: database.expiry,
            servers: database.servers,
            tenants: database.tenants,
            discovery: GraphDiscovery(
                expiry: database.expiry,
                servers: database.servers,
                vault: self.vault,
                tokens: tokens,
                http: self.http,
                baseURL: configuration.expiry.graphBaseURL,
                caFile: configuration.tokens.caFile,
                logger: logger
            ),
            gauges: SecretExpiryGauges(registry: metrics),
            settings: configuration.expiry,
            wakeUp: wakeUp,
            logger: logger
        )
        let servingState = ServingState()
        let readiness = Readiness(schemaIsCurrent: Latch(), servingState: servingState, database: self.databaseHealth)
        self.readiness = readiness
        let opsServerBox = OpsServerBox()
        let consent = ConsentService(
            servers: database.servers,
            authorizations: database.authorizations,
            events: database.events,
            tokens: tokens,
            defaultRedirectURI: { [ops = configuration.ops] in
                guard let ops else { return nil }
                if let public_ = ops.redirectURI { return public_ }
                guard let port = try? await opsServerBox.server?.listeningAddress.port else { return nil }
                return "http://localhost:\(port)/oauth/callback"
            },
            logger: logger
        )
        self.consent = consent
        self.authenticator = authenticator
        self.opsServer = configuration.ops.map { ops in
            OpsHTTPServer(
                host: ops.host,
                port: ops.port,
                routes: OpsRoutes.make(readiness: readiness, metrics: metrics, consent: consent),
                logger: logger
            )
        }
        opsServerBox.server = self.opsServer
        var router = RPCRouter<Principal>()
        HealthHandlers(version: MailgateVersion.current, isDraining: { servingState.isDraining })
            .register(into: &router)
        let quotas = TenantQuotaGate(
            tenants: database.tenants,
            usage: database.usage,
            defaults: configuration.mailer.tenantQuotas,
            metrics: serviceMetrics
        )
        AdminHandlers(
            tenants: database.tenants,
            keys: database.keys,
            servers: database.servers,
            blocks: database.blocks,
            events: database.events,
            consent: consent,
            expiry: database.expiry,
            quotas: quotas,
            destinations: configuration.mailer.destinations,
            health: self.databaseHealth
        ).register(into: &router)
        WebhookHandlers(
            subscriptions: database.webhooks,
            outbox: database.webhookOutbox,
            resolver: TenantResolver(tenants: database.tenants),
            destinations: configuration.mailer.destinations,
            health: self.databaseHealth
        ).register(into: &router)
        MailerHandlers(
            tenants: database.tenants,
            servers: database.servers,
            messages: database.messages,
            tokens: tokens,
            validator: self.validator,
            settings: configuration.mailer,
            wakeUp: wakeUp,
            quotas: quotas,
            blocks: database.blocks,
            health: self.databaseHealth
        ).register(into: &router)
        self.router = router
        self.rpcServer = try RPCServer(
            configuration: configuration.rpc,
            router: router,
            authenticator: authenticator,
            logger: logger,
            servingState: servingState,
            metrics: RPCMetrics(factory: metricsFactory),
            tracer: self.tracer
        )
    }
}

import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateRPC
import MailgateStore
import NIOCore
import NIOHTTP1
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Tracing
import UnixSignals

/// Everything `mailgate serve` runs, wired together: the PostgreSQL pool, migrations,
/// the heartbeat and the RPC server, as services of one `ServiceGroup` (the pool
/// first, so it stops last).
public final class MailgateApplication: Sendable {
    /// What the application needs to start.
    public struct Configuration: Sendable {
        public var database: PostgresClient.Configuration
        public var rpc: RPCServerConfiguration
        public var migrations: [Migration]
        public var bootstrapOperatorKey: APIKey?
        /// The vault's master keys; required (DESIGN §6).
        public var masterKeys: MasterKeyRing
        /// How long a verified key is trusted before it is read again: the bound on revocation delay.
        public var keyCacheTTL: Duration
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
        /// Reads the master key ring and TLS files again; when set, SIGHUP reloads them.
        public var reloadSettings: (@Sendable () throws -> ReloadableSettings)?
        /// Where spans go; nil uses the tracer in effect where the application is made
        /// (`withTracer`, else the bootstrapped one, else none).
        public var tracer: (any Tracer)?

        public init(
            database: PostgresClient.Configuration,
            rpc: RPCServerConfiguration,
            migrations: [Migration],
            bootstrapOperatorKey: APIKey?,
            masterKeys: MasterKeyRing,
            keyCacheTTL: Duration = .seconds(2),
            workerID: String =
                "mailgate-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))",
            heartbeatInterval: Duration = .seconds(15),
            mailer: MailerSettings = MailerSettings(),
            tokens: TokenSettings = TokenSettings(),
            ops: OpsConfiguration? = nil,
            expiry: ExpirySettings = ExpirySettings(),
            reloadSettings: (@Sendable () throws -> ReloadableSettings)? = nil,
            tracer: (any Tracer)? = nil
        ) {
            self.database = database
            self.rpc = rpc
            self.migrations = migrations
            self.bootstrapOperatorKey = bootstrapOperatorKey
            self.masterKeys = masterKeys
            self.keyCacheTTL = keyCacheTTL
            self.workerID = workerID
            self.heartbeatInterval = heartbeatInterval
            self.mailer = mailer
            self.tokens = tokens
            self.ops = ops
            self.expiry = expiry
            self.reloadSettings = reloadSettings
            self.tracer = tracer
        }
    }

    public let postgres: PostgresClient
    public let rpcServer: RPCServer<Principal>
    public let vault: Vault
    public let authenticator: KeyAuthenticator
    public let keys: APIKeyRepository
    public let databaseHealth: DatabaseHealth
    public let delivery: DeliveryService
    public let tokens: TokenService
    /// ValidateServer's diagnoses.
    public let validator: ServerValidator
    /// Delivery, token, queue, heartbeat and validation metrics, into `metrics`.
    let serviceMetrics: ServiceMetrics
    /// The ops HTTP port, when configured.
    public let opsServer: OpsHTTPServer?
    /// Client-secret expiry warnings (tests call `scanOnce(now:)` with their own clock).
    public let expiryScanner: ExpiryScanner
    /// What `/metrics` shows.
    public let metrics: PrometheusCollectorRegistry
    /// What `/readyz` answers.
    let readiness: Readiness
    let configuration: Configuration
    let logger: Logger
    /// Every span of this application: calls, database, token requests, SMTP sends.
    let tracer: any Tracer

    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.tracer = configuration.tracer ?? InstrumentationSystem.tracer
        self.postgres = PostgresClient(configuration: configuration.database, backgroundLogger: logger.forLibraries)
        self.vault = Vault(keyRing: configuration.masterKeys)
        self.keys = APIKeyRepository(client: self.postgres, logger: logger)
        self.databaseHealth = DatabaseHealth(configuration: configuration.database, logger: logger)
        self.authenticator = KeyAuthenticator(
            keys: self.keys,
            health: self.databaseHealth,
            cacheTTL: configuration.keyCacheTTL,
            logger: logger
        )
        let messages = MessageRepository(client: self.postgres, logger: logger)
        let wakeUp = DeliveryWakeUp { [logger] in
            do {
                try await messages.notifyWorkers()
            } catch {
                logger.debug(
                    "NOTIFY failed; other replicas find the mail by polling",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
            }
        }
        let servers = ServerRepository(client: self.postgres, vault: self.vault, logger: logger)
        self.metrics = PrometheusCollectorRegistry()
        let metricsFactory = PrometheusMetricsFactory(registry: self.metrics)
        self.serviceMetrics = ServiceMetrics(factory: metricsFactory)
        let http = HTTPTransport(threadCount: configuration.tokens.concurrentRequests)
        self.tokens = TokenService(
            servers: servers,
            vault: self.vault,
            http: http,
            concurrentRequests: configuration.tokens.concurrentRequests,
            settings: configuration.tokens,
            metrics: self.serviceMetrics,
            logger: logger
        )
        self.delivery = DeliveryService(
            owner: configuration.workerID,
            client: self.postgres,
            vault: self.vault,
            tokens: self.tokens,
            settings: configuration.mailer,
            wakeUp: wakeUp,
            metrics: self.serviceMetrics,
            logger: logger
        )
        self.validator = ServerValidator(
            validations: ValidationRepository(client: self.postgres, logger: logger),
            queue: DeliveryQueue(client: self.postgres, logger: logger),
            tokens: self.tokens,
            vault: self.vault,
            settings: configuration.mailer,
            owner: configuration.workerID,
            metrics: self.serviceMetrics,
            logger: logger
        )
        let events = EventRepository(client: self.postgres, logger: logger)
        let tenants = TenantRepository(client: self.postgres, logger: logger)
        let expiry = ExpiryRepository(client: self.postgres, logger: logger)
        self.expiryScanner = ExpiryScanner(
            expiry: expiry,
            servers: servers,
            tenants: tenants,
            discovery: GraphDiscovery(
                expiry: expiry,
                servers: servers,
                vault: self.vault,
                tokens: self.tokens,
                http: http,
                baseURL: configuration.expiry.graphBaseURL,
                caFile: configuration.tokens.caFile,
                logger: logger
            ),
            gauges: SecretExpiryGauges(registry: self.metrics),
            settings: configuration.expiry,
            wakeUp: wakeUp,
            logger: logger
        )
        let opsServerBox = OpsServerBox()
        let servingState = ServingState()
        let readiness = Readiness(servingState: servingState, database: self.databaseHealth)
        self.readiness = readiness
        let consent = ConsentService(
            servers: servers,
            authorizations: AuthorizationRepository(client: self.postgres, vault: self.vault, logger: logger),
            events: events,
            tokens: self.tokens,
            defaultRedirectURI: { [ops = configuration.ops] in
                guard let ops else { return nil }
                if let public_ = ops.redirectURI { return public_ }
                guard let port = try? await opsServerBox.server?.listeningAddress.port else { return nil }
                return "http://localhost:\(port)/oauth/callback"
            },
            logger: logger
        )
        if let ops = configuration.ops {
            self.opsServer = OpsHTTPServer(
                host: ops.host,
                port: ops.port,
                routes: [
                    "/healthz": { _ in OpsHTTPServer.Response(status: .ok, body: "ok\n") },
                    "/readyz": { _ in readiness.response },
                    "/metrics": { [metrics = self.metrics] _ in
                        OpsHTTPServer.Response(
                            status: .ok,
                            contentType: "text/plain; version=0.0.4; charset=utf-8",
                            body: metrics.emitToString()
                        )
                    },
                    "/oauth/callback": { request in await consent.callback(request) },
                ],
                logger: logger
            )
        } else {
            self.opsServer = nil
        }
        opsServerBox.server = self.opsServer
        var router = RPCRouter<Principal>()
        HealthHandlers(version: MailgateVersion.current, isDraining: { servingState.isDraining })
            .register(into: &router)
        AdminHandlers(
            tenants: TenantRepository(client: self.postgres, logger: logger),
            keys: self.keys,
            servers: servers,
            events: events,
            consent: consent,
            expiry: expiry,
            health: self.databaseHealth
        ).register(into: &router)
        MailerHandlers(
            tenants: TenantRepository(client: self.postgres, logger: logger),
            servers: servers,
            messages: messages,
            tokens: self.tokens,
            validator: self.validator,
            settings: configuration.mailer,
            wakeUp: wakeUp,
            health: self.databaseHealth
        ).register(into: &router)
        self.rpcServer = try RPCServer(
            configuration: configuration.rpc,
            router: router,
            authenticator: self.authenticator,
            logger: logger,
            servingState: servingState,
            metrics: RPCMetrics(factory: metricsFactory),
            tracer: self.tracer
        )
        // Last: an init that throws earlier has no deinit to detach it.
        DatabaseUsage.attach(
            to: self.postgres,
            maximumConnections: configuration.database.options.maximumConnections,
            factory: metricsFactory
        )
    }

    deinit {
        DatabaseUsage.detach(from: self.postgres)
    }

    /// The services in start order; a `ServiceGroup` stops them in reverse.
    public var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        [
            .init(service: self.postgres, serviceName: "postgres"),
            .init(
                service: StartupThenServe(application: self),
                successTerminationBehavior: .gracefullyShutdownGroup,
                serviceName: "mailgate"
            ),
        ]
    }

    /// A group that runs everything and shuts down gracefully on SIGTERM and SIGINT. A
    /// graceful shutdown that outlasts the RPC grace period by 30 s turns into cancellation,
    /// so a stop never waits forever.
    public func makeServiceGroup() -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: self.services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: self.logger
        )
        configuration.maximumGracefulShutdownDuration =
            .nanoseconds(self.configuration.rpc.shutdownGracePeriod.nanoseconds) + .seconds(30)
        return ServiceGroup(configuration: configuration)
    }

    /// Applies migrations, then serves until graceful shutdown.
    struct StartupThenServe: Service {
        let application: MailgateApplication

        func run() async throws {
            let app = self.application
            // Workers, scans and their database calls trace into the application's tracer.
            try await withTracer(app.tracer) { try await self.serve() }
        }

        private func serve() async throws {
            let app = self.application
            // The ops port answers from the start: /healthz while migrations run, /readyz once serving.
            try await withThrowingDiscardingTaskGroup { group in
                if let ops = app.opsServer { group.addTask { try await ops.run() } }
                if let read = app.configuration.reloadSettings {
                    group.addTask { await ReloadOnHangup(application: app, read: read, logger: app.logger).run() }
                }
                group.addTask { try await self.migrateThenServe() }
            }
        }

        private func migrateThenServe() async throws {
            let app = self.application
            // The pool service starts alongside this one; give its run() a moment to begin,
            // or postgres-nio warns at every start that a connection was leased before it ran.
            try await Task.sleep(for: .milliseconds(50))
            let outcome = try await MigrationRunner(migrations: app.configuration.migrations, logger: app.logger)
                .run(on: app.postgres)
            app.logger.info(
                "database schema is current",
                metadata: ["applied": "\(outcome.applied)", "previously_applied": "\(outcome.alreadyApplied.count)"]
            )
            if let operatorKey = app.configuration.bootstrapOperatorKey {
                try await app.keys.ensureOperatorKey(operatorKey)
            }
            let heartbeat = WorkerHeartbeat(
                workerID: app.configuration.workerID,
                deliveryWorkers: app.configuration.mailer.workers,
                client: app.postgres,
                interval: app.configuration.heartbeatInterval,
                metrics: app.serviceMetrics,
                logger: app.logger
            )
            defer {
                Task {
                    try? await app.tokens.shutdown()
                    try? await app.validator.shutdown()
                }
            }
            app.readiness.schemaIsCurrent()
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await heartbeat.run() }
                group.addTask { try await app.databaseHealth.run() }
                group.addTask { try await app.rpcServer.run() }
                group.addTask { try await app.delivery.run() }
                group.addTask { await app.expiryScanner.run() }
                group.addTask {
                    await QueueGauges(
                        queue: DeliveryQueue(client: app.postgres, logger: app.logger),
                        metrics: app.serviceMetrics,
                        interval: app.configuration.heartbeatInterval,
                        logger: app.logger
                    ).run()
                }
            }
        }
    }
}

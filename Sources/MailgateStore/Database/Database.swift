import CoreMetrics
import Logging
import MailgateCore
import PostgresNIO
import ServiceLifecycle

/// One replica's PostgreSQL pool and every repository on it, each made once. A `Service`:
/// `run()` runs the pool, so it goes first in the service group and stops last. Nothing
/// above the store sees PostgresNIO: repositories classify its errors as `StoreError`s.
public final class Database: Service, Sendable {
    /// Where the pool connects, and how (PostgresNIO's client configuration; see `DatabaseConfiguration.parse`).
    public typealias Configuration = PostgresClient.Configuration

    public let keys: APIKeyRepository
    public let tenants: TenantRepository
    public let servers: ServerRepository
    public let messages: MessageRepository
    public let queue: DeliveryQueue
    public let events: EventRepository
    public let expiry: ExpiryRepository
    public let validations: ValidationRepository
    public let authorizations: AuthorizationRepository
    public let workers: WorkerRepository
    public let blocks: ServerBlockRepository
    public let usage: TenantUsageRepository
    public let masterKeyUsage: MasterKeyUsage
    public let retention: RetentionRepository
    public let consoleSessions: ConsoleSessionRepository
    public let webhooks: WebhookSubscriptionRepository
    public let webhookOutbox: WebhookOutbox

    let client: PostgresClient
    private let configuration: PostgresClient.Configuration
    private let running = Latch()
    private let logger: Logger

    /// A pool on `configuration` (its secrets sealed and opened by `vault`), measured into
    /// `metrics` when given (`mailgate_db_*`).
    public init(
        configuration: PostgresClient.Configuration,
        vault: Vault,
        metrics: (any MetricsFactory)? = nil,
        logger: Logger
    ) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger.forLibraries)
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.keys = APIKeyRepository(client: client, logger: logger)
        self.tenants = TenantRepository(client: client, logger: logger)
        self.usage = TenantUsageRepository(client: client, logger: logger)
        self.servers = ServerRepository(client: client, vault: vault, logger: logger)
        self.messages = MessageRepository(client: client, logger: logger)
        self.queue = DeliveryQueue(client: client, logger: logger)
        self.events = EventRepository(client: client, logger: logger)
        self.expiry = ExpiryRepository(client: client, logger: logger)
        self.validations = ValidationRepository(client: client, logger: logger)
        self.authorizations = AuthorizationRepository(client: client, vault: vault, logger: logger)
        self.workers = WorkerRepository(client: client, logger: logger)
        self.blocks = ServerBlockRepository(client: client, logger: logger)
        self.masterKeyUsage = MasterKeyUsage(client: client, logger: logger)
        self.retention = RetentionRepository(client: client, logger: logger)
        self.consoleSessions = ConsoleSessionRepository(client: client, logger: logger)
        self.webhooks = WebhookSubscriptionRepository(client: client, vault: vault, logger: logger)
        self.webhookOutbox = WebhookOutbox(client: client, vault: vault, logger: logger)
        if let metrics {
            DatabaseUsage.attach(
                to: client,
                maximumConnections: configuration.options.maximumConnections,
                factory: metrics
            )
        }
    }

    deinit {
        DatabaseUsage.detach(from: self.client)
    }

    /// Runs the pool until cancelled (or until graceful shutdown, which postgres-nio follows).
    public func run() async {
        // Opened just before the pool's run() begins: waiters then lease from a running pool.
        self.running.open()
        await self.client.run()
    }

    /// Applies pending migrations once the pool runs (under an advisory lock, so replicas
    /// may start together).
    public func migrate(_ migrations: [Migration]) async throws -> MigrationRunner.Outcome {
        try await self.running.wait()
        return try await MigrationRunner(migrations: migrations, logger: self.logger).run(on: self.client)
    }

    /// A probe of the same database on a connection of its own (see `DatabaseProbe`).
    public func makeProbe(timeout: Duration) -> DatabaseProbe {
        DatabaseProbe(configuration: self.configuration, timeout: timeout, logger: self.logger)
    }
}

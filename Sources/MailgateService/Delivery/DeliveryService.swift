import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateStore
import ServiceLifecycle

/// Everything that moves queued mail in one replica: the workers, the LISTEN that
/// wakes them, lease renewal, recovery of other replicas' expired leases, and purging.
public struct DeliveryService: Service {
    let owner: String
    let queue: DeliveryQueue
    let servers: ServerRepository
    let messages: MessageRepository
    let events: EventRepository
    let blocks: ServerBlockRepository
    let retention: RetentionRepository
    let vault: Vault
    let tokens: TokenService
    let settings: MailerSettings
    let wakeUp: DeliveryWakeUp
    let metrics: ServiceMetrics
    let logger: Logger

    public init(
        owner: String,
        database: Database,
        vault: Vault,
        tokens: TokenService,
        settings: MailerSettings,
        wakeUp: DeliveryWakeUp,
        metrics: ServiceMetrics = ServiceMetrics(),
        logger: Logger
    ) {
        self.metrics = metrics
        self.owner = owner
        self.queue = database.queue
        self.servers = database.servers
        self.messages = database.messages
        self.events = database.events
        self.blocks = database.blocks
        self.retention = database.retention
        self.vault = vault
        self.tokens = tokens
        self.settings = settings
        self.wakeUp = wakeUp
        self.logger = logger
    }

    /// Runs until graceful shutdown: workers finish the message in hand, hand back
    /// what they claimed but did not start, and stop; leases are renewed until then.
    public func run() async throws {
        guard self.settings.workers > 0 else { return }
        let pool = SMTPDeliveryPool(threadCount: self.settings.workers)
        let held = HeldClaims()
        let stopping = Latch()
        let worker = DeliveryWorker(
            owner: self.owner,
            queue: self.queue,
            servers: self.servers,
            vault: self.vault,
            pool: pool,
            tokens: self.tokens,
            settings: self.settings,
            wakeUp: self.wakeUp,
            held: held,
            events: self.events,
            blocks: self.blocks,
            metrics: self.metrics,
            stopping: stopping,
            logger: self.logger
        )
        self.logger.info(
            "delivery workers starting",
            metadata: ["workers": "\(self.settings.workers)", "owner": "\(self.owner)"]
        )
        await withDiscardingTaskGroup { housekeeping in
            // Renewal outlives graceful shutdown: it stops only once the workers have, so a
            // send still finishing is never taken over by another replica.
            housekeeping.addTask { await self.renewLeases(held) }
            housekeeping.addTask {
                await repeatEvery(
                    min(.seconds(5), self.settings.lease / 4),
                    logger: self.logger,
                    failure: "delivery housekeeping failed"
                ) {
                    let recovered = try await self.queue.recoverExpiredLeases()
                    if recovered > 0 {
                        self.logger.warning(
                            "took over messages whose claim expired",
                            metadata: ["messages": "\(recovered)"]
                        )
                        self.wakeUp.ring()
                    }
                }
            }
            housekeeping.addTask {
                await repeatEvery(.seconds(60), logger: self.logger, failure: "delivery housekeeping failed") {
                    let (bodies, keys) = try await self.queue.purge(
                        retention: self.settings.retention,
                        idempotencyWindow: self.settings.idempotencyWindow
                    )
                    if bodies + keys > 0 {
                        self.logger.info(
                            "purged old message bodies and idempotency keys",
                            metadata: ["bodies": "\(bodies)", "keys": "\(keys)"]
                        )
                    }
                    let deleted = try await self.retention.deleteExpired(
                        messages: self.settings.messageRetention,
                        events: self.settings.eventRetention
                    )
                    if deleted.total > 0 {
                        self.logger.info(
                            "deleted what is past its retention",
                            metadata: [
                                "messages": "\(deleted.messages)", "events": "\(deleted.events)",
                                "stale_replicas": "\(deleted.workers)",
                            ]
                        )
                    }
                }
            }
            housekeeping.addTask { await self.listen() }
            await withDiscardingTaskGroup { workers in
                for _ in 0..<self.settings.workers {
                    workers.addTask { await worker.run() }
                }
                // Idle workers wait on the wake-up; ring it once shutdown begins.
                await cancelWhenGracefulShutdown { try? await Task.sleep(for: .seconds(Int64.max / 2)) }
                stopping.open()
                self.wakeUp.ring()
            }
            housekeeping.cancelAll()
        }
        try? await pool.shutdown()
        self.logger.info("delivery workers stopped")
    }

    private func renewLeases(_ held: HeldClaims) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: self.settings.lease / 3)
            // The new leases run from the moment the database starts the update, which is
            // no earlier than this.
            let startedAt = ContinuousClock.now
            let tokens = held.current
            do {
                try await self.queue.renewLeases(tokens: tokens, lease: self.settings.lease)
                held.renewed(tokens, until: startedAt + self.settings.lease)
            } catch {
                self.logger.warning("renewing leases failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Rings the wake-up on every `NOTIFY mailgate_messages` from any replica.
    private func listen() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.messages.listenForNewMail { self.wakeUp.ring() }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                self.logger.debug(
                    "LISTEN connection lost; polling until it is back",
                    metadata: ["error": "\(String(reflecting: error))"]
                )
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
    }
}

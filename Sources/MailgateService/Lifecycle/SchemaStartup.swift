import Logging
import MailgateCore
import MailgateStore
import ServiceLifecycle

/// The first work of a replica: applies pending migrations (replicas may start together:
/// the runner holds an advisory lock), makes sure the bootstrap operator key exists, then
/// opens `schemaIsCurrent`, which the services that need the schema wait for. Its failure
/// stops the whole group; its success ends only this service.
struct SchemaStartup: Service {
    let database: Database
    let migrations: [Migration]
    let bootstrapOperatorKey: APIKey?
    let schemaIsCurrent: Latch
    let logger: Logger

    func run() async throws {
        do {
            let outcome = try await self.database.migrate(self.migrations)
            self.logger.info(
                "database schema is current",
                metadata: ["applied": "\(outcome.applied)", "previously_applied": "\(outcome.alreadyApplied.count)"]
            )
            if let operatorKey = self.bootstrapOperatorKey {
                try await self.database.keys.ensureOperatorKey(operatorKey)
            }
        } catch {
            self.schemaIsCurrent.fail(error)
            throw error
        }
        self.schemaIsCurrent.open()
    }
}

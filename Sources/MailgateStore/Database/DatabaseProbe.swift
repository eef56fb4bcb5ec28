import Logging
import PostgresNIO

/// Asks PostgreSQL `SELECT 1` over a one-connection client of its own, so that a main pool
/// busy with slow work never makes the database look down (and an outage is seen even
/// while every pooled connection waits). `run()` runs that client; the health policy (how
/// often, how long to wait, how many misses make an outage) belongs to the caller.
public final class DatabaseProbe: Sendable {
    private let client: PostgresClient
    private let running = Latch()
    private let logger: Logger

    /// A probe of the database `configuration` reaches, giving up on a connection after `timeout`.
    public init(configuration: PostgresClient.Configuration, timeout: Duration, logger: Logger) {
        var probe = configuration
        probe.options.minimumConnections = 0
        probe.options.maximumConnections = 1
        probe.options.keepAliveBehavior = nil
        probe.options.connectTimeout = timeout
        self.client = PostgresClient(configuration: probe, backgroundLogger: logger.forLibraries)
        self.logger = logger
    }

    /// Runs the probe's client until cancelled.
    public func run() async {
        self.running.open()
        await self.client.run()
    }

    /// Returns once `run()` has started: a query before it would only be warned about.
    public func waitUntilRunning() async throws {
        try await self.running.wait()
    }

    /// `SELECT 1`; throws whatever kept the database from answering.
    public func ping() async throws {
        try await self.client.query("SELECT 1", logger: self.logger)
    }
}

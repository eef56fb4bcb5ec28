import CoreMetrics
import PostgresNIO
import Synchronization

/// How busy one `PostgresClient`'s pool is, measured where Mailgate's repositories
/// lease it (each query and each transaction holds one connection while it runs):
///
/// - `mailgate_db_pool_connections_max`: the pool's size;
/// - `mailgate_db_operations_in_flight`: operations under way, waiting for a connection
///   or holding one;
/// - `mailgate_db_operation_duration_seconds{kind}`: time each query or transaction
///   held its connection, including the wait for one;
/// - `mailgate_db_operation_errors_total{kind}`: operations that failed.
///
/// The application attaches one to its client; repositories of a client without one
/// measure nothing.
public final class DatabaseUsage: Sendable {
    private static let attached = Mutex<[ObjectIdentifier: DatabaseUsage]>([:])

    private let factory: any MetricsFactory
    private let inFlight: Meter

    private init(factory: any MetricsFactory, maximumConnections: Int) {
        self.factory = factory
        self.inFlight = Meter(label: "mailgate_db_operations_in_flight", factory: factory)
        self.inFlight.set(0)
        Gauge(label: "mailgate_db_pool_connections_max", factory: factory).record(maximumConnections)
    }

    /// Measures `client`'s use into `factory` until `detach`.
    public static func attach(to client: PostgresClient, maximumConnections: Int, factory: any MetricsFactory) {
        let usage = DatabaseUsage(factory: factory, maximumConnections: maximumConnections)
        self.attached.withLock { $0[ObjectIdentifier(client)] = usage }
    }

    /// Stops measuring `client` (before it is released, so its identifier is not reused).
    public static func detach(from client: PostgresClient) {
        _ = self.attached.withLock { $0.removeValue(forKey: ObjectIdentifier(client)) }
    }

    static func of(_ client: PostgresClient) -> DatabaseUsage? {
        self.attached.withLock { $0[ObjectIdentifier(client)] }
    }

    /// A connection is leased for an operation; returns when, for `end`.
    func begin() -> ContinuousClock.Instant {
        self.inFlight.increment()
        return .now
    }

    /// The operation of `kind` (`query` or `transaction`) begun at `started` gave its connection back.
    func end(_ kind: String, since started: ContinuousClock.Instant, failed: Bool) {
        self.inFlight.decrement()
        Timer(label: "mailgate_db_operation_duration_seconds", dimensions: [("kind", kind)], factory: self.factory)
            .recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
        if failed {
            Counter(label: "mailgate_db_operation_errors_total", dimensions: [("kind", kind)], factory: self.factory)
                .increment()
        }
    }
}

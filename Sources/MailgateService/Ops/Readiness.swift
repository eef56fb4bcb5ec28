import MailgateRPC
import NIOHTTP1
import Synchronization

/// `/readyz`: whether this replica should get traffic. Not before the schema is current,
/// not while the database is unreachable, and not once graceful shutdown has begun.
final class Readiness: Sendable {
    private let schemaCurrent = Atomic<Bool>(false)
    private let servingState: ServingState
    private let database: DatabaseHealth

    init(servingState: ServingState, database: DatabaseHealth) {
        self.servingState = servingState
        self.database = database
    }

    func schemaIsCurrent() {
        self.schemaCurrent.store(true, ordering: .relaxed)
    }

    /// 200 "ready", or 503 with the reason.
    var response: OpsHTTPServer.Response {
        if self.servingState.isDraining {
            return OpsHTTPServer.Response(status: .serviceUnavailable, body: "draining: shutting down\n")
        }
        if !self.schemaCurrent.load(ordering: .relaxed) {
            return OpsHTTPServer.Response(
                status: .serviceUnavailable,
                body: "starting: the database schema is being migrated\n"
            )
        }
        if !self.database.isAvailable {
            return OpsHTTPServer.Response(status: .serviceUnavailable, body: "database unreachable\n")
        }
        return OpsHTTPServer.Response(status: .ok, body: "ready\n")
    }
}

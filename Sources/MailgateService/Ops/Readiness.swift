import MailgateRPC
import MailgateStore
import NIOHTTP1

/// `/readyz`: whether this replica should get traffic. Not before the schema is current,
/// not while the database is unreachable, and not once graceful shutdown has begun.
final class Readiness: Sendable {
    /// Opens once migrations are applied; services that need the schema wait for it.
    let schemaIsCurrent: Latch
    private let servingState: ServingState
    private let database: DatabaseHealth

    init(schemaIsCurrent: Latch, servingState: ServingState, database: DatabaseHealth) {
        self.schemaIsCurrent = schemaIsCurrent
        self.servingState = servingState
        self.database = database
    }

    /// 200 "ready", or 503 with the reason.
    var response: OpsHTTPServer.Response {
        if self.servingState.isDraining {
            return OpsHTTPServer.Response(status: .serviceUnavailable, body: "draining: shutting down\n")
        }
        if !self.schemaIsCurrent.isOpen {
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

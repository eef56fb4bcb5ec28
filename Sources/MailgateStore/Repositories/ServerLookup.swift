import Foundation
import Logging
import PostgresNIO

/// A tenant's server by id or by name, as named prepared statements: each pooled connection parses
/// and plans them once, instead of once per call (parsing and planning were half of PostgreSQL's
/// time under Admin/GetServer load).
enum ServerLookup {
    /// The server `idOrName` names (by primary key when it is a UUID), or nil.
    ///
    /// A prepared statement that failed once stays failed on its connection (postgres-nio keeps the
    /// failed preparation), so a failure is retried once as a plain statement: a passing fault
    /// (a cancelled parse, a timeout) costs one call nothing, while a real outage fails both ways.
    static func find(tenantID: UUID, idOrName: String, client: PostgresClient, logger: Logger) async throws
        -> ServerRecord?
    {
        if let id = UUID(uuidString: idOrName) {
            return try await Self.first(of: ByID(tenantID: tenantID, id: id), client: client, logger: logger)
        }
        return try await Self.first(of: ByName(tenantID: tenantID, name: idOrName), client: client, logger: logger)
    }

    private static func first<Statement: PostgresPreparedStatement>(
        of statement: Statement,
        client: PostgresClient,
        logger: Logger
    ) async throws -> ServerRecord? where Statement.Row == ServerRecord {
        do {
            return try await client.tracedExecute(statement, logger: logger).first
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let query = PostgresQuery(unsafeSQL: Statement.sql, binds: try statement.makeBindings())
            return try await ServerRow.decode(try await client.tracedQuery(query, logger: logger)).first
        }
    }

    struct ByID: PostgresPreparedStatement {
        static let sql = "SELECT \(ServerRow.columns) FROM output_servers WHERE id = $1 AND tenant_id = $2"
        typealias Row = ServerRecord

        var tenantID: UUID
        var id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(self.id)
            bindings.append(self.tenantID)
            return bindings
        }
    }

    struct ByName: PostgresPreparedStatement {
        static let sql = "SELECT \(ServerRow.columns) FROM output_servers WHERE tenant_id = $1 AND name = $2"
        typealias Row = ServerRecord

        var tenantID: UUID
        var name: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(self.tenantID)
            bindings.append(self.name)
            return bindings
        }
    }
}

extension PostgresPreparedStatement where Row == ServerRecord {
    /// Every statement that reads whole `output_servers` rows decodes them alike.
    func decodeRow(_ row: PostgresRow) throws -> ServerRecord {
        try ServerRow.record(row.makeRandomAccess())
    }
}

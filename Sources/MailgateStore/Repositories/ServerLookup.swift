import Foundation
import Logging
import PostgresNIO

/// A tenant's server by id or by name, as named prepared statements: each pooled connection parses
/// and plans them once, instead of once per call (parsing and planning were half of PostgreSQL's
/// time under Admin/GetServer load).
enum ServerLookup {
    /// The server `idOrName` names (by primary key when it is a UUID), or nil.
    static func find(tenantID: UUID, idOrName: String, client: PostgresClient, logger: Logger) async throws
        -> ServerRecord?
    {
        if let id = UUID(uuidString: idOrName) {
            return try await client.tracedExecute(ByID(tenantID: tenantID, id: id), logger: logger).first
        }
        return try await client.tracedExecute(ByName(tenantID: tenantID, name: idOrName), logger: logger).first
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

        func decodeRow(_ row: PostgresRow) throws -> ServerRecord {
            try ServerRow.record(row.makeRandomAccess())
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

        func decodeRow(_ row: PostgresRow) throws -> ServerRecord {
            try ServerRow.record(row.makeRandomAccess())
        }
    }
}

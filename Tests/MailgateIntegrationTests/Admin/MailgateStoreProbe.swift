import Foundation
import Logging
import MailgateCore
import MailgateStore
import PostgresNIO

/// Direct reads of stored rows for tests that look behind the RPC surface.
enum MailgateStoreProbe {
    /// The stored server (the vault only matters when opening its secrets).
    static func server(_ postgres: PostgresClient, tenantID: UUID, name: String) async throws -> ServerRecord {
        let repository = ServerRepository(
            client: postgres,
            vault: Vault(keyRing: MasterKeyRing.generate().ring),
            logger: Logger(label: "test")
        )
        guard let server = try await repository.find(tenantID: tenantID, idOrName: name) else {
            throw ProbeError.notFound(name)
        }
        return server
    }

    enum ProbeError: Error { case notFound(String) }
}

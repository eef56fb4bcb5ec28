import PostgresNIO

extension VaultRotation {
    /// Runs `batch` in a transaction of its own, again and again, until one finds nothing to
    /// re-seal and nothing unreadable; returns how many rows were re-sealed in all and the keys
    /// of those that could not be opened. `batch` is given the keys found unreadable so far, to
    /// skip them (rows another transaction holds are skipped by its `SKIP LOCKED`, and counted
    /// by `run` afterwards).
    func resealInBatches<Key: Sendable>(
        _ batch: (PostgresConnection, [Key]) async throws -> (resealed: Int, unreadable: [Key])
    ) async throws -> (resealed: Int, unreadable: [Key]) {
        var resealed = 0
        var skipped: [Key] = []
        while true {
            let found = try await self.client.transaction(logger: self.logger) { connection in
                try await batch(connection, skipped)
            }
            resealed += found.resealed
            skipped += found.unreadable
            if found.resealed == 0 && found.unreadable.isEmpty { break }
        }
        return (resealed, skipped)
    }
}

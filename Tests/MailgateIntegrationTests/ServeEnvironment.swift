import Foundation
import MailgateCore
import MailgateTestSupport

/// The environment of a `mailgate serve` process started by a test: its own database,
/// RPC on a loopback port, the ops port off, a bootstrap operator key, a fresh master key
/// ring, the repository's migrations, and loopback allowed as a destination (the SMTP and
/// token fixtures listen there). `overrides` replace or add settings.
enum ServeEnvironment {
    static func make(
        database: TestDatabase,
        port: Int,
        operatorKey: String,
        _ overrides: [String: String] = [:]
    ) -> [String: String] {
        [
            "MAILGATE_DATABASE_URL": database.url,
            "MAILGATE_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
            "MAILGATE_LISTEN": "127.0.0.1:\(port)",
            "MAILGATE_OPS_LISTEN": "off",
            "MAILGATE_CONSOLE_LISTEN": "off",
            "MAILGATE_BOOTSTRAP_OPERATOR_KEY": operatorKey,
            "MAILGATE_MASTER_KEYS": MasterKeyRing.generate().text,
            "MAILGATE_MIGRATIONS_DIR": repositoryRoot().appendingPathComponent("migrations").path,
        ].merging(overrides) { _, given in given }
    }

    /// Runs `count` `mailgate serve` processes on `database` (one master key ring, one
    /// bootstrap operator key, each on its own RPC port) for the duration of `body`, which
    /// gets their ports; they are stopped with SIGTERM afterwards.
    static func withReplicas<Result>(
        _ count: Int,
        database: TestDatabase,
        operatorKey: String,
        _ overrides: [String: String],
        _ body: ([Int]) async throws -> Result
    ) async throws -> Result {
        let masterKeys = MasterKeyRing.generate().text
        var replicas: [ChildProcess] = []
        defer { for process in replicas { process.stopInBackground(SIGTERM) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let port = try await ServeProcessTests.freePort()
            var settings = overrides
            settings["MAILGATE_MASTER_KEYS"] = masterKeys
            let environment = Self.make(database: database, port: port, operatorKey: operatorKey, settings)
            replicas.append(try ChildProcess(ServeProcessTests.executable.path, ["serve"], environment: environment))
            ports.append(port)
        }
        return try await body(ports)
    }
}

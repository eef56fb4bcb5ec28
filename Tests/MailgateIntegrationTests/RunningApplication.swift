import Foundation
import Logging
import MailgateCore
import MailgateRPC
import MailgateService
import MailgateStore
import MailgateTestSupport
import NIOCore
import ServiceLifecycle
import Testing

/// The operator key every integration test server is configured with.
let testOperatorKey = APIKey.generate()

/// The master key ring every integration test server seals secrets with.
let testMasterKeys = MasterKeyRing.generate().ring

/// Runs the whole application (PostgreSQL pool, migrations, heartbeat, RPC server) on
/// a fresh database and a free port for the duration of `body`, then shuts it down gracefully.
func withRunningApplication<Result: Sendable>(
    heartbeatInterval: Duration = .seconds(15),
    masterKeys: MasterKeyRing = testMasterKeys,
    keyCacheTTL: Duration = .seconds(2),
    authentication: AuthenticationSettings = AuthenticationSettings(),
    database existing: TestDatabase? = nil,
    logger: Logger? = nil,
    // No delivery workers unless a test sends mail: a hundred idle replicas polling the
    // queue would only load the machine the tests share.
    mailer: MailerSettings = MailerSettings(workers: 0, destinations: .loopbackAllowed),
    tokens: TokenSettings = TokenSettings(),
    ops: OpsConfiguration? = nil,
    // Tests scan with their own clock (`expiryScanner.scanOnce(now:)`).
    expiry: ExpirySettings = ExpirySettings(interval: nil),
    // No webhook workers unless a test posts webhooks, for the same reason.
    webhooks: WebhookSettings = WebhookSettings(workers: 0),
    configureRPC: (inout RPCServerConfiguration) -> Void = { _ in },
    _ body: (MailgateApplication, Int, TestDatabase) async throws -> Result
) async throws -> Result {
    try await TestDatabase.withFresh(reusing: existing) { database in
        // Everything down to debug is captured and scanned for secrets afterwards.
        let capture = LogCapture()
        let logger = logger ?? capture.logger(label: "mailgate", level: .debug)
        defer { capture.finish() }
        var rpc = RPCServerConfiguration(host: "127.0.0.1", port: 0, shutdownGracePeriod: .seconds(5))
        configureRPC(&rpc)
        let application = try MailgateApplication(
            configuration: .init(
                database: database.configuration,
                rpc: rpc,
                migrations: try Migration.load(from: repositoryRoot().appendingPathComponent("migrations")),
                bootstrapOperatorKey: testOperatorKey,
                masterKeys: masterKeys,
                keyCacheTTL: keyCacheTTL,
                authentication: authentication,
                heartbeatInterval: heartbeatInterval,
                mailer: mailer,
                tokens: tokens,
                ops: ops,
                expiry: expiry,
                webhooks: webhooks
            ),
            logger: logger
        )
        let group = application.makeServiceGroup()
        // Unstructured, so a shutdown that never ends fails the test instead of holding the run.
        let running = Task { try await group.run() }
        let result: Result
        do {
            let port = try await listeningPort(of: application, running: running)
            result = try await body(application, port, database)
        } catch {
            // Stopped the way `serve` stops, so a failing test ends instead of waiting on
            // work that a hard cancellation of the service group can leave behind.
            await group.triggerGracefulShutdown()
            _ = await stopped(running, within: .seconds(60))
            throw error
        }
        let shutdownMark = capture.count
        await group.triggerGracefulShutdown()
        guard let outcome = await stopped(running, within: .seconds(60)) else {
            running.cancel()
            // What the services said since the stop began names the one still running.
            let said = capture.lines(since: shutdownMark).joined(separator: "\n")
            throw TestEnvironmentError(
                "the application did not stop within 60 s of a graceful shutdown; logged since:\n\(said)"
            )
        }
        try outcome.get()
        return result
    }
}

/// The value of whichever of `racers` answers first; the others are cancelled and not waited for.
private func firstOf<Value: Sendable>(_ racers: [@Sendable () async -> Value]) async -> Value {
    let race = AsyncStream<Value>.makeStream()
    let tasks = racers.map { racer in Task { race.continuation.yield(await racer()) } }
    var iterator = race.stream.makeAsyncIterator()
    let first = await iterator.next()!
    for task in tasks { task.cancel() }
    race.continuation.finish()
    return first
}

/// How `task` ended, or nil when it is still running after `limit`.
private func stopped(_ task: Task<Void, any Error>, within limit: Duration) async -> Result<Void, any Error>? {
    await firstOf([
        { await task.result },
        {
            try? await Task.sleep(for: limit)
            return nil
        },
    ])
}

/// The RPC port once the server listens, or the error that stopped the application
/// before it did (a start-up failure never reaches the listener).
private func listeningPort(of application: MailgateApplication, running: Task<Void, any Error>) async throws -> Int {
    try await firstOf(
        [
            {
                do {
                    return .success(try await application.rpcServer.listeningAddress.port ?? 0)
                } catch {
                    return .failure(error)
                }
            },
            {
                switch await running.result {
                case .failure(let error): .failure(error)
                case .success: .failure(TestEnvironmentError("the application stopped before it listened"))
                }
            },
        ] as [@Sendable () async -> Result<Int, any Error>]
    ).get()
}

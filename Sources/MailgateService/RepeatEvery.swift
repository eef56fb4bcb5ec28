import Logging
import ServiceLifecycle

/// Runs `body` every `interval` until graceful shutdown or cancellation. A failing round
/// is logged (`failure`, at `level`) and the next one comes as usual.
func repeatEvery(
    _ interval: Duration,
    logger: Logger,
    failure: Logger.Message,
    level: Logger.Level = .warning,
    _ body: () async throws -> Void
) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        do {
            try await body()
        } catch {
            logger.log(level: level, failure, metadata: ["error": "\(String(reflecting: error))"])
        }
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
    }
}

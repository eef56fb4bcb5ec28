import MailgateStore
import ServiceLifecycle
import Tracing

/// One long-lived part of the application as the service group runs it: with the
/// application's tracer in effect, and, for parts that need the database schema, only
/// once it is current. A graceful shutdown before then ends the part without running it.
struct ApplicationService: Service {
    let base: any Service
    let tracer: any Tracer
    /// Opens once migrations are applied; nil for parts that run from the start.
    let waitsFor: Latch?

    func run() async throws {
        try await withTracer(self.tracer) {
            if let latch = self.waitsFor {
                // Shut down first, or the start-up failed (the group ends with its error): not run.
                guard (try? await cancelWhenGracefulShutdown { try await latch.wait() }) != nil else { return }
            }
            try await self.base.run()
        }
    }
}

/// Releases a resource that has no `run()` of its own (a thread pool) once the group
/// shuts down; placed before the services that use it, so it stops after them.
struct ReleaseOnShutdown: Service {
    let release: @Sendable () async throws -> Void

    func run() async throws {
        // Graceful shutdown or cancellation: either way the resource goes.
        try? await gracefulShutdown()
        try await self.release()
    }
}

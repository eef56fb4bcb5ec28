import NIOCore

/// Runs tasks on one NIO event loop. A connection's calls are handled in tasks that prefer the loop
/// that read them: a call that waits for nothing else (a cached key, a reply built in memory) is
/// answered without a thread hop each way, and one that waits (PostgreSQL, a thread pool) comes
/// back to its loop. Calls with large requests run on the global executor instead
/// (`ServerConnectionHandler.largestRequestOnLoop`), and handlers with long CPU-bound work move it
/// off the loop themselves (`withTaskExecutorPreference(globalConcurrentExecutor)`), as they would
/// off an actor.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

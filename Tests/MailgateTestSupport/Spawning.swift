import Dispatch
import Foundation

/// Serializes making a child process's pipes and starting it. Foundation on Linux closes
/// a child's inherited descriptors only up to the highest one open when it plans the
/// spawn: a pipe or exit-watch socket another thread makes meanwhile leaks into the
/// child, and the other process's end of file (or exit) then goes unseen until this
/// child dies. Every test that starts a process does it inside this lock.
public func withSpawnLock<Value>(_ body: () throws -> Value) rethrows -> Value {
    spawnLock.lock()
    defer { spawnLock.unlock() }
    return try body()
}

private let spawnLock = NSLock()

/// Starts `process` with one of its outputs in a new pipe (the other one and its input
/// discarded), inside the spawn lock; returns the pipe to read.
public func start(_ process: Process, capturing output: CapturedOutput) throws -> Pipe {
    try withSpawnLock {
        let pipe = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output == .standardOutput ? pipe : FileHandle.nullDevice
        process.standardError = output == .standardError ? pipe : FileHandle.nullDevice
        try process.run()
        return pipe
    }
}

/// Which output `start(_:capturing:)` pipes.
public enum CapturedOutput: Sendable {
    case standardOutput, standardError
}

/// Kills `process` and reaps it on a Dispatch thread: waiting for a process never
/// blocks a thread of the concurrency pool (on two cores it has two).
public func killInBackground(_ process: Process, signal: Int32 = SIGKILL) {
    guard process.processIdentifier > 0 else { return }
    kill(process.processIdentifier, signal)
    DispatchQueue.global().async { process.waitUntilExit() }
}

/// Waits for `process` to exit on a Dispatch thread; nil when it is still running after `limit`.
public func waitForExit(_ process: Process, limit: Duration) async -> Int32? {
    let exited: Bool = await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let deadline = Date().addingTimeInterval(limit.components.seconds > 0 ? Double(limit.components.seconds) : 1)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            continuation.resume(returning: !process.isRunning)
        }
    }
    return exited ? process.terminationStatus : nil
}

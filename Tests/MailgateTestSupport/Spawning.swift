import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with posix_spawn, for tests. Foundation's `Process` is not
/// used: on Linux it leaks descriptors another thread opens meanwhile into the child
/// (so a sibling's pipe never reaches end of file), and it can crash while listing
/// `/proc/self/fd` in a process with many descriptors open. Here the child gets
/// standard input, output and error and nothing else (`closefrom(3)` in the child), and
/// pipes are close-on-exec in the parent.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    /// The read end of the captured output, if one was asked for.
    public let output: FileHandle?
    private let exit = Mutex<Int32?>(nil)

    /// Which output to capture in a pipe; the other goes to /dev/null, as does input.
    public enum Capture: Sendable {
        case standardOutput, standardError, none
    }

    /// Starts `executable` with `arguments`; `environment` nil inherits this process's.
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        capture: Capture = .none
    ) throws {
        var pipeFDs: [Int32] = [-1, -1]
        if capture != .none {
            guard GlibcExtras.pipe2(&pipeFDs, O_CLOEXEC) == 0 else {
                throw TestEnvironmentError("pipe2 failed: errno \(errno)")
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for target: Int32 in [1, 2] {
            let captured = (capture == .standardOutput && target == 1) || (capture == .standardError && target == 2)
            if captured {
                posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            }
        }
        GlibcExtras.addCloseFrom(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = environment ?? ProcessInfo.processInfo.environment
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }

        // A child starts with no signal blocked and the usual dispositions: the test process
        // traps SIGTERM, SIGINT and SIGHUP for its servers, which a child would inherit.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid = pid_t()
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        if capture != .none { close(pipeFDs[1]) }
        guard status == 0 else {
            if capture != .none { close(pipeFDs[0]) }
            throw TestEnvironmentError("cannot start \(executable): errno \(status)")
        }
        self.pid = pid
        self.output = capture == .none ? nil : FileHandle(fileDescriptor: pipeFDs[0], closeOnDealloc: true)
    }

    /// Sends `signal` (if the child has not been reaped yet).
    public func kill(_ signal: Int32 = SIGKILL) {
        if self.exit.withLock({ $0 }) == nil { Glibc.kill(self.pid, signal) }
    }

    /// Blocks until the child exits; its exit status, or 128 + the signal that ended it.
    /// Call it off the concurrency pool (`exitStatus(within:)` does).
    @discardableResult
    public func waitUntilExit() -> Int32 {
        if let known = self.exit.withLock({ $0 }) { return known }
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(self.pid, &status, 0) } while reaped == -1 && errno == EINTR
        // Reaped by a concurrent `exitStatus(within:)`: its record holds the status.
        guard reaped == self.pid else { return self.exit.withLock { $0 } ?? -1 }
        return self.record(status)
    }

    private func record(_ status: Int32) -> Int32 {
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        self.exit.withLock { $0 = code }
        return code
    }

    /// The exit status once the child exits (polled without blocking a thread); nil when
    /// it still runs after `limit` (it is then left to `kill`).
    public func exitStatus(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let reaped = waitpid(self.pid, &status, WNOHANG)
            if reaped == self.pid { return self.record(status) }
            // ECHILD: a concurrent `waitUntilExit` reaped it and records the status.
            if let known = self.exit.withLock({ $0 }) { return known }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Sends `signal` and reaps the child on a Dispatch thread once it exits.
    public func stopInBackground(_ signal: Int32 = SIGKILL) {
        self.kill(signal)
        DispatchQueue.global().async { self.waitUntilExit() }
    }

    /// Reads the captured output to its end on a Dispatch thread.
    public func readOutput() async -> Data {
        guard let output = self.output else { return Data() }
        return (try? await offCooperativePool { output.readDataToEndOfFile() }) ?? Data()
    }
}

/// glibc functions Swift's Glibc module does not import (they need _GNU_SOURCE), looked up
/// at run time: `pipe2` (glibc 2.9) and `posix_spawn_file_actions_addclosefrom_np` (2.34).
private enum GlibcExtras {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let pipe2Function: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map {
        unsafeBitCast($0, to: Pipe2.self)
    }
    static let addCloseFromFunction: AddCloseFrom? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0),
        "posix_spawn_file_actions_addclosefrom_np"
    )
    .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    static func pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32 {
        guard let function = self.pipe2Function else {
            guard Glibc.pipe(fds) == 0 else { return -1 }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            return 0
        }
        return function(fds, flags)
    }

    /// Closes every descriptor from `lowest` up in the child.
    static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) {
        if let function = self.addCloseFromFunction, function(actions, lowest) == 0 { return }
        // Older glibc: close what is open now (listing /proc/self/fd with FileManager).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd >= lowest {
            posix_spawn_file_actions_addclose(actions, fd)
        }
    }
}

import Dispatch
import Foundation

/// Runs a program to completion; returns its exit status and standard output
/// (trimmed). Standard error is discarded.
///
/// The wait happens on a Dispatch thread, not on the test's task: a blocked cooperative
/// thread could starve the in-process server the program is talking to.
public func runProgram(
    _ executable: URL,
    _ arguments: [String],
    environment: [String: String] = [:]
) async throws -> (status: Int32, output: String) {
    try await offCooperativePool {
        let process = try ChildProcess(executable.path, arguments, environment: environment, capture: .standardOutput)
        let data = process.output?.readDataToEndOfFile() ?? Data()
        let status = process.waitUntilExit()
        return (status, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Runs blocking work (a process, a socket read, openssl) on a Dispatch thread: the two
/// threads of the concurrency pool are shared by every test and by the servers under test.
public func offCooperativePool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}

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
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            do {
                let process = try ChildProcess(executable.path, arguments, environment: environment, capture: .standardOutput)
                let data = process.output?.readDataToEndOfFile() ?? Data()
                let status = process.waitUntilExit()
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                continuation.resume(returning: (status, text))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

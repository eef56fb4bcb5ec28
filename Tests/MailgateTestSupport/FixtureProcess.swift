import Foundation

/// A Python fixture script of Tests/MailgateTestSupport run with `MAILGATE_TEST_PYTHON`
/// (the venv scripts/test makes), which prints "READY <port>" once it listens. Killed
/// when released.
final class FixtureProcess: @unchecked Sendable {
    let port: Int
    private let process: ChildProcess

    init(script: String, arguments: [String]) throws {
        guard let python = ProcessInfo.processInfo.environment["MAILGATE_TEST_PYTHON"] else {
            throw TestEnvironmentError(
                "MAILGATE_TEST_PYTHON is not set: run the tests with scripts/test (it makes a venv with the fixtures' packages)."
            )
        }
        let path = repositoryRoot().appendingPathComponent("Tests/MailgateTestSupport/\(script)")
        let process = try ChildProcess(python, [path.path] + arguments, capture: .standardOutput)
        self.process = process
        let output = process.output!
        var line = Data()
        while true {
            let byte = output.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        guard let text = String(data: line, encoding: .utf8), text.hasPrefix("READY "),
            let port = Int(text.dropFirst(6))
        else {
            process.stopInBackground()
            throw TestEnvironmentError("the fixture \(script) did not start (are its Python packages installed?)")
        }
        self.port = port
    }

    /// Sends `signal` to the fixture (e.g. SIGHUP to reload a certificate).
    func send(_ signal: Int32) {
        kill(self.process.pid, signal)
    }

    deinit {
        // SIGKILL: a fixture has nothing to flush, and aiosmtpd's threads can outlive SIGTERM.
        self.process.stopInBackground()
    }
}

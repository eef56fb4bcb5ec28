import Foundation

/// An aiosmtpd server of this test's own (Tests/MailgateTestSupport/smtp_server.py),
/// started, waited for, and stopped. Python comes from `MAILGATE_TEST_PYTHON` (the venv
/// scripts/test makes with aiosmtpd).
public final class SMTPTestServer: @unchecked Sendable {
    public let folder: URL
    public let port: Int
    private let process: Process

    /// A folder of certificates for 127.0.0.1 (`cert.pem`, `key.pem`) and one for another name (`wrong-*.pem`).
    public static func makeCertificates(in folder: URL) throws {
        _ = try makeTestCertificate(in: folder)
        _ = try makeTestCertificate(in: folder, prefix: "wrong-", subjectAltName: "DNS:mail.example.org")
    }

    public init(arguments: [String]) throws {
        guard let python = ProcessInfo.processInfo.environment["MAILGATE_TEST_PYTHON"] else {
            throw TestEnvironmentError("MAILGATE_TEST_PYTHON is not set: run the tests with scripts/test (it makes a venv with aiosmtpd).")
        }
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        let script = repositoryRoot().appendingPathComponent("Tests/MailgateTestSupport/smtp_server.py")
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: python)
        self.process.arguments = [script.path, "--folder", self.folder.path] + arguments
        let output = Pipe()
        self.process.standardOutput = output
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        // The first line is "READY <port>".
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        guard let text = String(data: line, encoding: .utf8), text.hasPrefix("READY "), let port = Int(text.dropFirst(6)) else {
            self.process.terminate()
            throw TestEnvironmentError("the SMTP test server did not start (is aiosmtpd installed?)")
        }
        self.port = port
    }

    deinit {
        // SIGKILL: a test fixture has nothing to flush, and aiosmtpd's threads can outlive SIGTERM.
        kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
        try? FileManager.default.removeItem(at: self.folder)
    }

    /// The messages received so far: envelope JSON and raw bytes.
    public func received() throws -> [(envelope: [String: Any], bytes: Data)] {
        var messages: [(envelope: [String: Any], bytes: Data)] = []
        var index = 1
        while let json = FileManager.default.contents(atPath: self.folder.appendingPathComponent("\(index).json").path) {
            let bytes = FileManager.default.contents(atPath: self.folder.appendingPathComponent("\(index).eml").path) ?? Data()
            messages.append(((try JSONSerialization.jsonObject(with: json) as? [String: Any]) ?? [:], bytes))
            index += 1
        }
        return messages
    }
}

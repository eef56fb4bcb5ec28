import Foundation

/// An aiosmtpd server of this test's own (Tests/MailgateTestSupport/smtp_server.py),
/// started, waited for, and stopped. Python comes from `MAILGATE_TEST_PYTHON` (the venv
/// scripts/test makes with aiosmtpd).
public final class SMTPTestServer: @unchecked Sendable {
    public let folder: URL
    public let port: Int
    private let process: FixtureProcess

    /// A folder of certificates for 127.0.0.1 (`cert.pem`, `key.pem`), one for another
    /// name (`wrong-*.pem`) and one for 127.0.0.1 that expires in five days (`soon-*.pem`).
    public static func makeCertificates(in folder: URL) throws {
        _ = try makeTestCertificate(in: folder)
        _ = try makeTestCertificate(in: folder, prefix: "wrong-", subjectAltName: "DNS:mail.example.org")
        _ = try makeTestCertificate(in: folder, prefix: "soon-", days: 5)
    }

    public init(arguments: [String]) throws {
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailgate-smtp-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        self.process = try FixtureProcess(
            script: "smtp_server.py",
            arguments: ["--folder", self.folder.path] + arguments
        )
        self.port = self.process.port
    }

    deinit {
        try? FileManager.default.removeItem(at: self.folder)
    }

    /// Serves the certificate now in the files given as `--cert` and `--key` (SIGHUP), as a
    /// renewal would: new TLS handshakes get it.
    public func reloadCertificate() {
        self.process.send(SIGHUP)
    }

    /// Faults the server shows from its next connection on, until changed: `greeting`
    /// answers every connection with that reply and closes it (a `554` banner, a `421`);
    /// `mailFrom` answers MAIL FROM with it (Exchange's `5.7.60 SendAsDenied`). Nil for none.
    public func setFaults(greeting: String? = nil, mailFrom: String? = nil) throws {
        var faults: [String: String] = [:]
        faults["greeting"] = greeting
        faults["mail"] = mailFrom
        // Written aside and renamed: the server never reads a half-written file.
        let file = self.folder.appendingPathComponent("faults.json")
        let staged = self.folder.appendingPathComponent("faults.json.tmp")
        try JSONSerialization.data(withJSONObject: faults).write(to: staged)
        guard rename(staged.path, file.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// The messages received so far: envelope JSON and raw bytes.
    public func received() throws -> [(envelope: [String: Any], bytes: Data)] {
        var messages: [(envelope: [String: Any], bytes: Data)] = []
        var index = 1
        while let json = FileManager.default.contents(atPath: self.folder.appendingPathComponent("\(index).json").path)
        {
            let bytes =
                FileManager.default.contents(atPath: self.folder.appendingPathComponent("\(index).eml").path) ?? Data()
            messages.append(((try JSONSerialization.jsonObject(with: json) as? [String: Any]) ?? [:], bytes))
            index += 1
        }
        return messages
    }
}

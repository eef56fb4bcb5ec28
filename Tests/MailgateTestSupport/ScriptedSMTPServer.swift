import Foundation

/// A plaintext SMTP server answering from a script (Tests/MailgateTestSupport/scripted_smtp.py):
/// the replies of Exchange and others that aiosmtpd does not give, or none at all (`--silent`).
public final class ScriptedSMTPServer: @unchecked Sendable {
    public let port: Int
    private let process: FixtureProcess

    public init(arguments: [String]) throws {
        self.process = try FixtureProcess(script: "scripted_smtp.py", arguments: arguments)
        self.port = self.process.port
    }
}

import Foundation
import MailgateTestSupport
import Testing

extension LogCapture {
    /// Ends a test's capture: records an issue for every line that holds a secret, and
    /// prints warnings and errors to standard error, where uncaptured logs would be.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        let text = self.text
        let leaks = SecretScan.leaks(in: text)
        if !leaks.isEmpty {
            Issue.record(
                "secrets reached the logs (masked here):\n\(leaks.joined(separator: "\n"))",
                sourceLocation: sourceLocation
            )
        }
        let loud = text.split(separator: "\n").filter {
            $0.hasPrefix("warning") || $0.hasPrefix("error") || $0.hasPrefix("critical")
        }
        if !loud.isEmpty {
            FileHandle.standardError.write(Data((loud.joined(separator: "\n") + "\n").utf8))
        }
    }
}

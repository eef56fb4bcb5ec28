import Logging
import Synchronization

/// Collects every log line (message and metadata, rendered as text) so tests can
/// scan them, for example for secrets that must never be logged.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// A logger at `level` writing into this capture.
    public func logger(label: String = "captured", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { label in CapturingLogHandler(capture: self, label: label) }
        logger.logLevel = level
        return logger
    }

    /// Everything logged so far, one entry per line.
    public var text: String { self.lines.withLock { $0.joined(separator: "\n") } }

    func append(_ line: String) { self.lines.withLock { $0.append(line) } }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { _, new in new }
        self.capture.append("\(event.level) \(self.label) \(event.message) \(merged) \(event.source)")
    }
}

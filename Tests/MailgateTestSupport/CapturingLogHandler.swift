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

    /// A handler writing into this capture, to wrap in another handler under test.
    public func handler(label: String = "captured") -> any LogHandler {
        CapturingLogHandler(capture: self, label: label)
    }

    /// Everything logged so far, one entry per line.
    public var text: String { self.lines.withLock { $0.joined(separator: "\n") } }

    /// How many lines were captured so far: a mark for `lines(since:)`.
    public var count: Int { self.lines.withLock { $0.count } }

    /// The lines captured after `mark` (a `count` read earlier), at most the last `limit`.
    public func lines(since mark: Int, limit: Int = 60) -> [String] {
        self.lines.withLock { Array($0.dropFirst(mark).suffix(limit)) }
    }

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
        let error = event.error.map { " error=\(String(reflecting: $0))" } ?? ""
        self.capture.append("\(event.level) \(self.label) \(event.message) \(merged) \(event.source)\(error)")
    }
}

/// Finds secrets in captured logs: the shapes of every secret the fixtures make (API
/// keys, the token fixture's access and refresh tokens and authorization codes) and the
/// literal secrets tests register.
public enum SecretScan {
    private static let registered = Mutex<Set<String>>([])

    /// Adds secrets that have no recognisable shape (passwords, client secrets).
    public static func register(_ secrets: String...) {
        self.registered.withLock { $0.formUnion(secrets.filter { $0.count >= 8 }) }
    }

    /// The log lines that contain a secret, each with the secret masked, so a failure
    /// report does not spread it further.
    public static func leaks(in text: String) -> [String] {
        let literals = self.registered.withLock { $0 }
        var leaks: [String] = []
        for line in text.split(separator: "\n") {
            var masked = String(line)
            for pattern in [
                #/mgk_[A-Za-z0-9-]{1,64}_[A-Za-z0-9-]{16,}/#, #/\bat-[A-Za-z0-9_-]{32}/#, #/\brt-[A-Za-z0-9_-]{32}/#,
                #/\bcode-[A-Za-z0-9_-]{22}/#, #/whsec_[0-9a-f]{16,}/#,
            ] {
                masked = masked.replacing(pattern, with: "«secret»")
            }
            for literal in literals where masked.contains(literal) {
                masked = masked.replacing(literal, with: "«secret»")
            }
            if masked != line { leaks.append(masked) }
        }
        return leaks
    }
}

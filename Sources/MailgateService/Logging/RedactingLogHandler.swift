import Logging
import MailgateCore

/// Wraps the real log handler (text or JSON) so that nothing reaches it unscrubbed:
/// the message, every metadata value (values of secret-named keys entirely) and the
/// attached error pass through `LogRedaction` first. `mailgate serve` installs it
/// around every handler; typed `Secret`s already print as `<redacted>`, and this layer
/// catches credentials inside text Mailgate did not write itself.
public struct RedactingLogHandler: LogHandler {
    private var wrapped: any LogHandler

    public init(wrapping handler: any LogHandler) {
        self.wrapped = handler
    }

    public var logLevel: Logger.Level {
        get { self.wrapped.logLevel }
        set { self.wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { self.wrapped.metadata }
        set {
            self.wrapped.metadata = Dictionary(
                uniqueKeysWithValues: newValue.map { ($0.key, Self.redact(key: $0.key, $0.value)) }
            )
        }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { self.wrapped.metadataProvider }
        set { self.wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.wrapped[metadataKey: key] }
        set { self.wrapped[metadataKey: key] = newValue.map { Self.redact(key: key, $0) } }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(LogRedaction.scrub(event.message.description))"
        var metadata = event.metadata ?? [:]
        if let error = event.error {
            metadata["error"] = .string(String(describing: error))
            event.error = nil
        }
        event.metadata =
            metadata.isEmpty
            ? nil : Dictionary(uniqueKeysWithValues: metadata.map { ($0.key, Self.redact(key: $0.key, $0.value)) })
        self.wrapped.log(event: event)
    }

    static func redact(key: String, _ value: Logger.MetadataValue) -> Logger.MetadataValue {
        LogRedaction.secretKeys.contains(key.lowercased()) ? .string(LogRedaction.marker) : self.redact(value)
    }

    static func redact(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(LogRedaction.scrub(text))
        case .stringConvertible(let convertible): .string(LogRedaction.scrub(convertible.description))
        case .array(let values): .array(values.map(redact))
        case .dictionary(let values):
            .dictionary(Dictionary(uniqueKeysWithValues: values.map { ($0.key, redact(key: $0.key, $0.value)) }))
        }
    }
}

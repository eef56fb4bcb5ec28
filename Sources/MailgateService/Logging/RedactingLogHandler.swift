import Logging
import MailgateCore

/// Wraps the real log handler (text or JSON) so that nothing reaches it unscrubbed:
/// the message, every metadata value (values of secret-named keys entirely) and the
/// attached error pass through `LogRedaction` first. `mailgate serve` installs it
/// around every handler; typed `Secret`s already print as `<redacted>`, and this layer
/// catches credentials inside text Mailgate did not write itself.
///
/// The logger's metadata is kept here as set and scrubbed only when a line is written: every
/// call sets a few entries (method, request id, key id) and most calls write no line, so
/// scrubbing on every write cost more than the rest of a call (a profile of Health/WhoAmI).
public struct RedactingLogHandler: LogHandler {
    private var wrapped: any LogHandler

    public var metadata: Logger.Metadata

    public init(wrapping handler: any LogHandler) {
        self.wrapped = handler
        // The wrapped handler's own metadata moves here, to be scrubbed with the rest.
        self.metadata = handler.metadata
        self.wrapped.metadata = [:]
    }

    public var logLevel: Logger.Level {
        get { self.wrapped.logLevel }
        set { self.wrapped.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { self.wrapped.metadataProvider }
        set { self.wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(LogRedaction.scrub(event.message.description))"
        var metadata = self.metadata
        if let explicit = event.metadata { metadata.merge(explicit) { _, explicit in explicit } }
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

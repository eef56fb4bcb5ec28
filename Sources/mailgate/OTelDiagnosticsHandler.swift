import Logging

/// The log handler for swift-otel's own diagnostic lines: those about an `OTEL_*_HEADERS`
/// variable lose its value (collector credentials: `Authorization=Basic …`, `x-api-key=…`,
/// which no credential pattern of the redaction layer recognizes), whatever the level.
struct OTelDiagnosticsHandler: LogHandler {
    private static let valueKeys = ["environment_value", "previous_value", "new_value"]
    var wrapped: any LogHandler

    var logLevel: Logger.Level {
        get { self.wrapped.logLevel }
        set { self.wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { self.wrapped.metadata }
        set { self.wrapped.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { self.wrapped.metadataProvider }
        set { self.wrapped.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.wrapped[metadataKey: key] }
        set { self.wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var handler = self.wrapped
        var event = event
        let variable = handler[metadataKey: "environment_key"] ?? event.metadata?["environment_key"]
        if let variable, "\(variable)".hasSuffix("_HEADERS") {
            for key in Self.valueKeys {
                if handler[metadataKey: key] != nil { handler[metadataKey: key] = "<redacted>" }
                if event.metadata?[key] != nil { event.metadata?[key] = "<redacted>" }
            }
        }
        handler.log(event: event)
    }
}

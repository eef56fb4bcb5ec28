import MailgateService
import Testing

@Suite("Retention settings")
struct RetentionSettingsTests {
    static func mailer(_ environment: [String: String]) throws -> MailerSettings {
        try MailerSettings(try SettingValues(flags: [:], environment: environment))
    }

    @Test("defaults: messages 30 days, events 90; 0 keeps them forever")
    func defaults() throws {
        let defaults = try Self.mailer([:])
        #expect(defaults.messageRetention == .seconds(30 * 86400))
        #expect(defaults.eventRetention == .seconds(90 * 86400))
        let forever = try Self.mailer([
            "MAILGATE_MESSAGE_RETENTION_SECONDS": "0", "MAILGATE_EVENT_RETENTION_SECONDS": "0",
        ])
        #expect(forever.messageRetention == nil && forever.eventRetention == nil)
    }

    @Test("messages are kept at least a day and the idempotency window (daily limits, retried keys)")
    func atLeastADayAndTheIdempotencyWindow() throws {
        #expect(throws: ConfigurationError.self) {
            try Self.mailer([
                "MAILGATE_MESSAGE_RETENTION_SECONDS": "3600", "MAILGATE_IDEMPOTENCY_WINDOW_SECONDS": "600",
            ])
        }
        #expect(throws: ConfigurationError.self) {
            try Self.mailer([
                "MAILGATE_MESSAGE_RETENTION_SECONDS": "100000", "MAILGATE_IDEMPOTENCY_WINDOW_SECONDS": "200000",
            ])
        }
        let day = try Self.mailer(["MAILGATE_MESSAGE_RETENTION_SECONDS": "86400"])
        #expect(day.messageRetention == .seconds(86400))
    }
}

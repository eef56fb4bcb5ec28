import Foundation
import Logging
import MailgateCore
import MailgateService
import MailgateTestSupport
import Testing

/// The redaction layer `mailgate serve` puts in front of every log handler, and the
/// secret scan every integration test runs over its logs.
@Suite("Log redaction layer")
struct RedactionTests {
    static let apiKey = APIKey.generate().presentedForm.exposedValue
    static let password = "hunter2-but-longer"

    /// Logs the same secrets every way code could: message, metadata (plain, nested, under a
    /// secret-named key), logger metadata, an attached error.
    static func logSecrets(_ logger: Logger) {
        var logger = logger
        logger[metadataKey: "client_secret"] = "cs~Zq8Q~logger-level-secret"
        logger.info(
            "calling with \(Self.apiKey)",
            metadata: [
                "password": "\(Self.password)",
                "request": .dictionary([
                    "authorization": "Bearer at-0123456789abcdefghijklmnopqrstuv",
                    "body": "refresh_token=rt-0123456789abcdefghijklmnopqrstuv",
                ]),
                "tenant": "acme",
            ]
        )
        logger.error(
            "failed",
            error: TestEnvironmentError("connection to postgres://mailgate:\(Self.password)@db/mailgate refused")
        )
    }

    @Test("secrets in messages, metadata, logger metadata and errors come out as <redacted>; the rest stays")
    func layer() {
        SecretScan.register(Self.password, "cs~Zq8Q~logger-level-secret")
        let capture = LogCapture()
        var logger = Logger(label: "redacted") { _ in RedactingLogHandler(wrapping: capture.handler()) }
        logger.logLevel = .debug
        Self.logSecrets(logger)
        let text = capture.text
        #expect(SecretScan.leaks(in: text).isEmpty, "\(SecretScan.leaks(in: text))")
        #expect(text.contains("<redacted>"))
        #expect(
            text.contains("\"tenant\": acme") && text.contains("calling with mgk_"),
            "what is not secret stays readable"
        )
        #expect(text.contains("postgres://mailgate:<redacted>@db/mailgate"))
    }

    @Test("the scan integration tests run over their logs finds the same secrets when nothing redacts them")
    func scanFindsLeaks() {
        SecretScan.register(Self.password, "cs~Zq8Q~logger-level-secret")
        let capture = LogCapture()
        Self.logSecrets(capture.logger(level: .debug))
        let leaks = SecretScan.leaks(in: capture.text)
        #expect(leaks.count == 2, "both lines leak")
        #expect(leaks.allSatisfy { $0.contains("«secret»") })
        #expect(!leaks.joined().contains(Self.password), "the report masks what it found")
    }
}

import Foundation
import MailgateCore
import Testing

@Suite("Expiry warning thresholds")
struct ExpiryWarningsTests {
    let expiresAt = Date(timeIntervalSince1970: 2_000_000_000)
    func at(_ days: Double) -> Date { self.expiresAt.addingTimeInterval(-days * 86400) }

    @Test("the most urgent crossed threshold is due once; missed ones are skipped, not sent")
    func due() {
        let warnings = ExpiryWarnings()
        #expect(warnings.due(expiresAt: self.expiresAt, now: self.at(61), recorded: []).send == nil)
        #expect(warnings.due(expiresAt: self.expiresAt, now: self.at(60), recorded: []) == .init(send: 60, skip: []))
        #expect(warnings.due(expiresAt: self.expiresAt, now: self.at(50), recorded: [60]).send == nil)
        #expect(
            warnings.due(expiresAt: self.expiresAt, now: self.at(5), recorded: [60]) == .init(send: 7, skip: [30, 14])
        )
        #expect(
            warnings.due(expiresAt: self.expiresAt, now: self.at(-1), recorded: [60, 30, 14, 7, 3, 1])
                == .init(send: 0, skip: [])
        )
        #expect(warnings.due(expiresAt: self.expiresAt, now: self.at(-1), recorded: [0]).send == nil)
    }

    @Test("severity rises as the date nears; thresholds parse from a list of days")
    func severityAndParsing() {
        #expect(ExpiryWarnings.severity(threshold: 60) == .info)
        #expect(ExpiryWarnings.severity(threshold: 14) == .warning)
        #expect(ExpiryWarnings.severity(threshold: 3) == .error)
        #expect(ExpiryWarnings.severity(threshold: 0) == .critical)
        #expect(ExpiryWarnings.parse("30, 7,1") == [30, 7, 1])
        #expect(
            ExpiryWarnings.parse("30,x") == nil && ExpiryWarnings.parse("0") == nil && ExpiryWarnings.parse("") == nil
        )
        #expect(ExpiryWarnings(thresholds: [7, 30, 7]).thresholds == [30, 7, 0])
        #expect(ExpiryWarnings.daysLeft(expiresAt: self.expiresAt, now: self.at(9.5)) == 9)
        #expect(ExpiryWarnings.daysLeft(expiresAt: self.expiresAt, now: self.at(-0.5)) == -1)
    }
}

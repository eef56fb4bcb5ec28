import Testing

@testable import MailgateService

/// The allowance under test, by reference, so that `#expect` can call what changes it.
final class AllowanceLedger {
    private var allowance: FailedAuthenticationAllowance

    init(burst: Int, perMinute: Int, maximumAddresses: Int = 10_000) {
        self.allowance = .init(burst: burst, perMinute: perMinute, maximumAddresses: maximumAddresses)
    }

    var addressCount: Int { self.allowance.addressCount }

    /// `charge`: nil when a failure was taken, else the wait.
    func charge(_ address: String, at now: Duration) -> Duration? {
        self.allowance.charge(address, now: now)
    }

    /// Takes `count` failures, whatever is left.
    func fail(_ address: String, times count: Int, at now: Duration) {
        for _ in 0..<count { _ = self.allowance.charge(address, now: now) }
    }

    func refund(_ address: String, at now: Duration) {
        self.allowance.refund(address, now: now)
    }
}

@Suite("Failed authentications per address")
struct FailedAuthenticationAllowanceTests {
    @Test("an address may fail `burst` times in a row, then waits for the next failure it earns back")
    func burstThenWait() {
        let allowance = AllowanceLedger(burst: 5, perMinute: 60)
        allowance.fail("192.0.2.1", times: 4, at: .zero)
        #expect(allowance.charge("192.0.2.1", at: .zero) == nil, "the fifth")
        #expect(allowance.charge("192.0.2.1", at: .zero) == .seconds(1))
        #expect(
            allowance.charge("192.0.2.1", at: .milliseconds(500)) == .milliseconds(500),
            "a refused charge takes nothing"
        )
        #expect(allowance.charge("192.0.2.1", at: .seconds(1)) == nil, "one earned back a second")
        #expect(allowance.charge("192.0.2.1", at: .seconds(1)) != nil)
        #expect(allowance.charge("192.0.2.2", at: .zero) == nil, "other addresses are not affected")
    }

    @Test("failures are earned back at the rate, never beyond the burst; a refund gives one back")
    func refillAndRefund() {
        let allowance = AllowanceLedger(burst: 3, perMinute: 30)
        allowance.fail("a", times: 3, at: .zero)
        // 30 a minute: one every 2 s. After an hour the address has 3 again, not 1,800.
        allowance.fail("a", times: 3, at: .seconds(3_600))
        #expect(allowance.charge("a", at: .seconds(3_600)) == .seconds(2))
        allowance.refund("a", at: .seconds(3_600))
        #expect(allowance.charge("a", at: .seconds(3_600)) == nil, "the refunded failure")
    }

    @Test("a full table forgets addresses whose allowance refilled first, and holds no more than its maximum")
    func bounded() {
        let allowance = AllowanceLedger(burst: 2, perMinute: 60, maximumAddresses: 4)
        allowance.fail("refilled", times: 2, at: .zero)
        for address in ["b", "c", "d"] { allowance.fail(address, times: 2, at: .seconds(10)) }
        allowance.fail("e", times: 2, at: .seconds(10))
        #expect(allowance.addressCount == 4)
        #expect(allowance.charge("b", at: .seconds(10)) != nil, "still remembered")
        #expect(allowance.charge("e", at: .seconds(10)) != nil)
        for index in 0..<100 { allowance.fail("flood-\(index)", times: 2, at: .seconds(10)) }
        #expect(allowance.addressCount <= 4)
    }
}

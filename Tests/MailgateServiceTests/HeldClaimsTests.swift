import Foundation
import Testing

@testable import MailgateService

@Suite("Held claims: until when a worker's claim surely holds")
struct HeldClaimsTests {
    @Test("renewals stretch a held claim, never shorten it, and do not bring back a dropped one")
    func renewals() {
        let claims = HeldClaims()
        let (first, second) = (UUID(), UUID())
        let start = ContinuousClock.now
        claims.hold(first, until: start + .seconds(3))
        claims.hold(second, until: start + .seconds(3))
        #expect(Set(claims.current) == [first, second])

        claims.renewed([first, second], until: start + .seconds(5))
        #expect(claims.heldUntil(first) == start + .seconds(5))
        // A renewal that started earlier (and answered later) does not take time back.
        claims.renewed([first], until: start + .seconds(4))
        #expect(claims.heldUntil(first) == start + .seconds(5))

        claims.drop(second)
        claims.renewed([first, second], until: start + .seconds(9))
        #expect(claims.heldUntil(second) == nil, "a claim given up on stays given up")
        #expect(claims.current == [first])
        #expect(claims.heldUntil(first) == start + .seconds(9))
    }
}

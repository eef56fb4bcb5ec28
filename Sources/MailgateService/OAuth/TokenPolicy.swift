import Foundation
import MailgateCore

/// The token service's rules, as values: when a cached access token is still worth using,
/// how long to wait after a failed token request, and which failures raise an event. The
/// service applies them under the server's row lock; tests check them alone.
struct TokenPolicy {
    let settings: TokenSettings

    /// Whether a token that expires at `expiresAt` (issued at `setAt`, when known) may be
    /// used at `now`: more than the refresh margin must remain, or more than half its
    /// lifetime for tokens that live shorter than twice the margin.
    func isFreshEnough(expiresAt: Date, setAt: Date?, now: Date) -> Bool {
        var margin = self.settings.refreshMargin.seconds
        if let setAt { margin = min(margin, expiresAt.timeIntervalSince(setAt) / 2) }
        return expiresAt.timeIntervalSince(now) > margin
    }

    /// How long to wait before asking again after a failure of `reason`, the server's
    /// `previousFailures`-th in a row: an unreachable endpoint backs off from the initial
    /// wait, doubling up to the maximum; a failure an operator must fix waits the same
    /// fixed time however often it recurs (a fixed configuration is retried at once anyway).
    func retryDelay(after reason: TokenFailureReason, previousFailures: Int) -> Duration {
        guard reason.isTransient else { return self.settings.retryAfterOperatorFailure }
        let doublings = min(max(previousFailures, 0), 16)
        return min(self.settings.initialBackoff * (1 << doublings), self.settings.maximumBackoff)
    }

    /// Whether a failure raises an `oauth_token_failed` event: every failure an operator must
    /// fix, and the first of a run of unreachable-endpoint failures (not one per retry).
    func raisesEvent(for reason: TokenFailureReason, previousFailures: Int) -> Bool {
        !reason.isTransient || previousFailures == 0
    }
}

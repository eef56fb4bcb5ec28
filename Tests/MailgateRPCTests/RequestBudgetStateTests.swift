import Testing

@testable import MailgateRPC

/// The budget's bookkeeping under test; a waiter is the number of its request.
final class BudgetLedger {
    private(set) var state: RequestByteBudget.State<Int>

    init(limit: Int, unauthenticatedLimit: Int) {
        self.state = .init(limit: limit, unauthenticatedLimit: unauthenticatedLimit)
    }

    /// Whether request `id` for `grant` was granted at once.
    func reserve(_ grant: RequestByteBudget.Grant, id: UInt64) -> Bool {
        self.state.reserve(grant, id: id, waiter: Int(id))
    }

    /// Whether `grant` was granted at once, without queueing when it was not.
    func tryReserve(_ grant: RequestByteBudget.Grant) -> Bool {
        self.state.tryReserve(grant)
    }

    /// The waiters granted by releasing `grant`, in order.
    func release(_ grant: RequestByteBudget.Grant) -> [Int] {
        self.state.release(grant).map(\.waiter)
    }

    /// Whether `id` was waiting, and the waiters granted once it left.
    func cancel(_ id: UInt64) -> (wasWaiting: Bool, granted: [Int]) {
        let outcome = self.state.cancel(id: id)
        return (outcome.wasWaiting, outcome.granted.map(\.waiter))
    }
}

/// A grant of `bytes`, from an authenticated connection unless `unauthenticated`.
func grant(_ bytes: Int, unauthenticated: Bool = false) -> RequestByteBudget.Grant {
    RequestByteBudget.Grant(bytes: bytes, isUnauthenticated: unauthenticated)
}

@Suite("Request budget: who gets bytes, and in which order")
struct RequestBudgetStateTests {
    @Test("reservations are granted while they fit; one that does not waits until enough is released")
    func waitsForRoom() {
        let budget = BudgetLedger(limit: 100, unauthenticatedLimit: 25)
        #expect(budget.reserve(grant(60), id: 1))
        #expect(budget.reserve(grant(40), id: 2))
        #expect(!budget.reserve(grant(30), id: 3))
        #expect(budget.state.reserved == 100)
        #expect(budget.release(grant(20)).isEmpty, "20 free is not enough for 30")
        #expect(budget.release(grant(40)) == [3])
        #expect(budget.state.reserved == 70, "the waiter's bytes are reserved as it is woken")
    }

    @Test("waiters are served first come, first served: a small one does not pass a large one")
    func firstComeFirstServed() {
        let budget = BudgetLedger(limit: 100, unauthenticatedLimit: 25)
        #expect(budget.reserve(grant(90), id: 1))
        #expect(!budget.reserve(grant(50), id: 2))
        #expect(!budget.reserve(grant(5), id: 3), "it would fit, but a waiter is ahead of it")
        #expect(budget.release(grant(30)).isEmpty)
        #expect(budget.release(grant(60)) == [2, 3])
    }

    @Test("unauthenticated connections together hold at most their share, and never pass authenticated waiters")
    func unauthenticatedShare() {
        let budget = BudgetLedger(limit: 100, unauthenticatedLimit: 25)
        #expect(budget.reserve(grant(20, unauthenticated: true), id: 1))
        #expect(!budget.reserve(grant(10, unauthenticated: true), id: 2), "past the share of 25")
        #expect(budget.reserve(grant(75), id: 3), "the unauthenticated waiter does not hold it up")
        #expect(!budget.reserve(grant(20), id: 4))
        // 25 free: the authenticated waiter goes first, and leaves too little for the other.
        #expect(budget.release(grant(20, unauthenticated: true)) == [4])
        #expect(budget.release(grant(75)) == [2])
        #expect(budget.state.reservedUnauthenticated == 10)
    }

    @Test("a new unauthenticated reservation waits behind an authenticated waiter even when it would fit")
    func authenticatedWaitersFirst() {
        let budget = BudgetLedger(limit: 100, unauthenticatedLimit: 50)
        #expect(budget.reserve(grant(80), id: 1))
        #expect(!budget.reserve(grant(30), id: 2))
        #expect(!budget.reserve(grant(10, unauthenticated: true), id: 3))
        #expect(budget.release(grant(80)) == [2, 3])
    }

    @Test("a waiter that gives up leaves the line, and those behind it may go at once")
    func cancel() {
        let budget = BudgetLedger(limit: 100, unauthenticatedLimit: 25)
        #expect(budget.reserve(grant(70), id: 1))
        #expect(!budget.reserve(grant(50), id: 2))
        #expect(!budget.reserve(grant(20), id: 3))
        let cancelled = budget.cancel(2)
        #expect(cancelled.wasWaiting)
        #expect(cancelled.granted == [3])
        #expect(budget.cancel(2).wasWaiting == false, "no longer waiting")
        #expect(budget.cancel(3).wasWaiting == false, "granted already")
        #expect(budget.state.waitingCount == 0)
    }

    @Test("trying without waiting takes what fits and queues nothing, nor passes anyone waiting")
    func tryWithoutWaiting() {
        let budget = BudgetLedger(limit: 100, unauthenticatedLimit: 25)
        #expect(budget.tryReserve(grant(70)))
        #expect(!budget.tryReserve(grant(40)))
        #expect(budget.state.waitingCount == 0 && budget.state.reserved == 70)
        #expect(!budget.reserve(grant(40), id: 1))
        #expect(!budget.tryReserve(grant(10)), "it would fit, but a waiter is ahead of it")
        #expect(budget.release(grant(70)) == [1])
    }
}

import Synchronization

/// The server-wide budget of request bytes in flight: frames being read and the payloads of
/// calls being handled.
///
/// A connection reserves a frame's announced length before it reads the frame's body, and gives
/// it back once the frame was handled (a call's when its handler ends). A reservation that does
/// not fit waits in line while its connection stops reading; a release hands it the bytes and
/// wakes it. Connections that have not made an authenticated call draw also on a smaller share,
/// so they can neither take the whole budget nor pass callers that did (see `State`).
final class RequestByteBudget: Sendable {
    /// Wakes a waiting connection with its grant; called outside the budget's lock, on any thread.
    typealias Waiter = @Sendable (Grant) -> Void

    private let state: Mutex<State<Waiter>>
    private let nextID = Atomic<UInt64>(1)
    private let metrics: RPCMetrics

    init(limit: Int, unauthenticatedLimit: Int, metrics: RPCMetrics = RPCMetrics()) {
        self.state = Mutex(State(limit: limit, unauthenticatedLimit: unauthenticatedLimit))
        self.metrics = metrics
        metrics.requestBudgetLimit(limit)
    }

    /// Bytes all reservations together may hold.
    var limit: Int { self.state.withLock { $0.limit } }
    /// Bytes unauthenticated connections' reservations may hold, within `limit`.
    var unauthenticatedLimit: Int { self.state.withLock { $0.unauthenticatedLimit } }
    /// Bytes reserved right now.
    var reserved: Int { self.state.withLock { $0.reserved } }

    /// An id for `reserve`'s waiting, unique in this budget.
    func makeWaitingID() -> UInt64 {
        self.nextID.add(1, ordering: .relaxed).newValue
    }

    /// Reserves `grant` if it fits now (no one it must queue behind waits): the common case,
    /// which needs no waiter.
    func tryReserve(_ grant: Grant) -> Bool {
        let reserved = self.state.withLock { state in state.tryReserve(grant) ? state.reserved : nil }
        guard let reserved else { return false }
        self.metrics.requestBytesReserved(reserved)
        return true
    }

    /// Reserves `grant` and returns true, or queues it under `id` and returns false: `waiter`
    /// then gets it once enough was released (unless `cancelWaiting(id:)` comes first).
    func reserve(_ grant: Grant, id: UInt64, waiter: @escaping Waiter) -> Bool {
        let (granted, reserved) = self.state.withLock { state in
            (state.reserve(grant, id: id, waiter: waiter), state.reserved)
        }
        if granted {
            self.metrics.requestBytesReserved(reserved)
        } else {
            self.metrics.requestBudgetWait(unauthenticated: grant.isUnauthenticated)
        }
        return granted
    }

    /// Gives `grant` back and wakes the connections whose requests fit now.
    func release(_ grant: Grant) {
        guard grant.bytes > 0 else { return }
        let (granted, reserved) = self.state.withLock { state in (state.release(grant), state.reserved) }
        self.metrics.requestBytesReserved(reserved)
        for waiting in granted { waiting.waiter(waiting.grant) }
    }

    /// Takes a request out of line; false when it was not waiting any more (its waiter was, or
    /// is being, called: the grant it receives must then be released).
    func cancelWaiting(id: UInt64) -> Bool {
        let outcome = self.state.withLock { $0.cancel(id: id) }
        for waiting in outcome.granted { waiting.waiter(waiting.grant) }
        return outcome.wasWaiting
    }
}

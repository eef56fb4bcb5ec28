extension RequestByteBudget {
    /// The bytes a reservation holds, and from which shares: what `release` gives back.
    struct Grant: Hashable, Sendable {
        var bytes: Int
        /// Drawn also from the unauthenticated share.
        var isUnauthenticated: Bool

        /// Nothing held: frames read before budgets applied, and tests.
        static let none = Grant(bytes: 0, isUnauthenticated: false)
    }

    /// The budget's bookkeeping, as a value: what is reserved and who waits, in which order.
    ///
    /// Authenticated requests wait in one line, unauthenticated ones in another behind it: a
    /// release serves the authenticated line first, so connections that never authenticated
    /// cannot keep callers that did waiting. Within a line, first come, first served, so a large
    /// frame is not starved by small ones. `Waiter` is what wakes a waiting connection.
    struct State<Waiter> {
        struct Waiting {
            var id: UInt64
            var grant: Grant
            var waiter: Waiter
        }

        /// Bytes all reservations together may hold.
        let limit: Int
        /// Bytes reservations of unauthenticated connections may hold, within `limit`.
        let unauthenticatedLimit: Int
        private(set) var reserved = 0
        private(set) var reservedUnauthenticated = 0
        private var authenticatedLine: [Waiting] = []
        private var unauthenticatedLine: [Waiting] = []

        init(limit: Int, unauthenticatedLimit: Int) {
            self.limit = limit
            self.unauthenticatedLimit = min(unauthenticatedLimit, limit)
        }

        /// Requests waiting, in both lines.
        var waitingCount: Int { self.authenticatedLine.count + self.unauthenticatedLine.count }

        /// Reserves `grant` when it fits and nobody it must queue behind waits; false otherwise,
        /// and nothing changes.
        mutating func tryReserve(_ grant: Grant) -> Bool {
            let mayGoFirst =
                self.authenticatedLine.isEmpty && (!grant.isUnauthenticated || self.unauthenticatedLine.isEmpty)
            guard mayGoFirst, self.fits(grant) else { return false }
            self.take(grant)
            return true
        }

        /// Reserves `grant` now as `tryReserve` does; otherwise it waits (under `id`) and is
        /// handed to `waiter` by a later `release`.
        mutating func reserve(_ grant: Grant, id: UInt64, waiter: Waiter) -> Bool {
            if self.tryReserve(grant) { return true }
            let waiting = Waiting(id: id, grant: grant, waiter: waiter)
            if grant.isUnauthenticated {
                self.unauthenticatedLine.append(waiting)
            } else {
                self.authenticatedLine.append(waiting)
            }
            return false
        }

        /// Gives `grant` back; returns the waiting requests that fit now, already reserved for them.
        mutating func release(_ grant: Grant) -> [Waiting] {
            self.reserved -= grant.bytes
            if grant.isUnauthenticated { self.reservedUnauthenticated -= grant.bytes }
            var granted: [Waiting] = []
            while let first = self.authenticatedLine.first, self.fits(first.grant) {
                self.take(first.grant)
                granted.append(self.authenticatedLine.removeFirst())
            }
            guard self.authenticatedLine.isEmpty else { return granted }
            while let first = self.unauthenticatedLine.first, self.fits(first.grant) {
                self.take(first.grant)
                granted.append(self.unauthenticatedLine.removeFirst())
            }
            return granted
        }

        /// Takes the request `id` out of its line; false when it is not waiting (granted already,
        /// or never queued). A request behind it may fit now: those are returned, reserved.
        mutating func cancel(id: UInt64) -> (wasWaiting: Bool, granted: [Waiting]) {
            if let index = self.authenticatedLine.firstIndex(where: { $0.id == id }) {
                self.authenticatedLine.remove(at: index)
            } else if let index = self.unauthenticatedLine.firstIndex(where: { $0.id == id }) {
                self.unauthenticatedLine.remove(at: index)
            } else {
                return (false, [])
            }
            return (true, self.release(.none))
        }

        private func fits(_ grant: Grant) -> Bool {
            guard self.reserved + grant.bytes <= self.limit else { return false }
            return !grant.isUnauthenticated
                || self.reservedUnauthenticated + grant.bytes <= self.unauthenticatedLimit
        }

        private mutating func take(_ grant: Grant) {
            self.reserved += grant.bytes
            if grant.isUnauthenticated { self.reservedUnauthenticated += grant.bytes }
        }
    }
}

import CoreMetrics

/// What the RPC server's byte budgets and connection cap refused or held back. Labels take
/// only fixed values: a share name or a framing error's reason.
extension RPCMetrics {
    /// `mailgate_rpc_request_bytes_limit`: the budget of request bytes in flight.
    func requestBudgetLimit(_ bytes: Int) {
        Gauge(label: "mailgate_rpc_request_bytes_limit", factory: self.factory).record(bytes)
    }

    /// `mailgate_rpc_request_bytes_in_flight`: request bytes reserved right now.
    func requestBytesReserved(_ bytes: Int) {
        self.requestBytes.record(bytes)
    }

    /// `mailgate_rpc_request_budget_waits_total{share}`: frames whose connection stopped reading
    /// until the budget had room; share `authenticated` or `unauthenticated`.
    func requestBudgetWait(unauthenticated: Bool) {
        Counter(
            label: "mailgate_rpc_request_budget_waits_total",
            dimensions: [("share", unauthenticated ? "unauthenticated" : "authenticated")],
            factory: self.factory
        ).increment()
    }

    /// `mailgate_rpc_connections_refused_total`: connections turned away at the connection cap.
    func connectionRefused() {
        Counter(label: "mailgate_rpc_connections_refused_total", factory: self.factory).increment()
    }

    /// `mailgate_rpc_frame_errors_total{reason}`: connections closed for breaking the framing
    /// rules or limits (`FRAME_TOO_LARGE`, `UNAUTHENTICATED_FRAME_TOO_LARGE`, `FRAME_TIMEOUT`, …).
    func frameError(reason: String) {
        Counter(label: "mailgate_rpc_frame_errors_total", dimensions: [("reason", reason)], factory: self.factory)
            .increment()
    }
}

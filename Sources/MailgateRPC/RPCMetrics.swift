import CoreMetrics
import MailgateProto

/// The RPC server's metrics, through swift-metrics with the factory given (Prometheus in
/// `mailgate serve`; none by default): calls by method and status code, call latency by
/// method, calls in flight and open connections. Method labels are only names the router
/// serves, so a client cannot invent label values.
public struct RPCMetrics: Sendable {
    let factory: any MetricsFactory
    let inFlight: Meter
    let connections: Meter
    /// Set on every reservation and release of request bytes: made once.
    let requestBytes: Gauge

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
        self.inFlight = Meter(label: "mailgate_rpc_calls_in_flight", factory: factory)
        self.connections = Meter(label: "mailgate_rpc_connections_open", factory: factory)
        self.requestBytes = Gauge(label: "mailgate_rpc_request_bytes_in_flight", factory: factory)
    }

    func callStarted() { self.inFlight.increment() }
    func connectionOpened() { self.connections.increment() }
    func connectionClosed() { self.connections.decrement() }

    /// Records a finished call: `mailgate_rpc_calls_total{method,code}` and
    /// `mailgate_rpc_call_duration_seconds{method}`.
    func callFinished(method: String, code: StatusCode, duration: Duration) {
        self.inFlight.decrement()
        Counter(
            label: "mailgate_rpc_calls_total",
            dimensions: [("method", method), ("code", Self.name(of: code))],
            factory: self.factory
        ).increment()
        Timer(label: "mailgate_rpc_call_duration_seconds", dimensions: [("method", method)], factory: self.factory)
            .recordNanoseconds(Int64(duration / .nanoseconds(1)))
    }

    /// gRPC's name of a status code: `OK`, `INVALID_ARGUMENT`, `DEADLINE_EXCEEDED`. Every call
    /// needs it (metric label, log line, span), so the known codes' names are made once.
    static func name(of code: StatusCode) -> String {
        Self.names[code] ?? Self.spelledOut(code)
    }

    private static let names = Dictionary(uniqueKeysWithValues: StatusCode.allCases.map { ($0, spelledOut($0)) })

    private static func spelledOut(_ code: StatusCode) -> String {
        var name = ""
        for character in String(describing: code) {
            if character.isUppercase, !name.isEmpty { name.append("_") }
            name.append(Character(character.uppercased()))
        }
        return name
    }
}

/// A PostgreSQL server without TLS, as a client sees it: `pg_plaintext_proxy.py` answers
/// the TLS request with "no" and relays the connection to the test server at `port`.
public final class PlaintextPostgresProxy: Sendable {
    private let process: FixtureProcess
    public var port: Int { self.process.port }

    public init(relayingTo port: Int) throws {
        self.process = try FixtureProcess(script: "pg_plaintext_proxy.py", arguments: ["--port", String(port)])
    }
}

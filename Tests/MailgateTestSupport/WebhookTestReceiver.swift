import Foundation

/// The webhook receiver fixture (webhook_receiver.py): a real HTTP server that records the
/// POSTs it gets and can be told to refuse the next ones.
public final class WebhookTestReceiver: @unchecked Sendable {
    private let process: FixtureProcess
    public var port: Int { self.process.port }

    /// One POST as received.
    public struct Request: Sendable {
        public var path: String
        /// Lower-cased names.
        public var headers: [String: String]
        public var body: Data
        /// The status the receiver answered.
        public var answered: Int
    }

    public init() throws {
        self.process = try FixtureProcess(script: "webhook_receiver.py", arguments: [])
    }

    /// A URL on the receiver with `path`.
    public func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(self.port)\(path)" }

    /// Every POST received so far, oldest first.
    public func requests() throws -> [Request] {
        let (status, _, data) = try RawHTTP.request("GET", host: "127.0.0.1", port: self.port, path: "/_requests")
        guard status == 200, let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw TestEnvironmentError("the webhook receiver answered \(status)")
        }
        return list.map { entry in
            Request(
                path: entry["path"] as? String ?? "",
                headers: entry["headers"] as? [String: String] ?? [:],
                body: Data(base64Encoded: entry["body"] as? String ?? "") ?? Data(),
                answered: entry["answered"] as? Int ?? 0
            )
        }
    }

    /// Makes the next `count` POSTs answer `status` (with Retry-After when given); the others
    /// 204, or 200 with `answerBytes` bytes of body.
    public func refuse(_ count: Int, status: Int = 500, retryAfter: String? = nil, answerBytes: Int = 0) throws {
        var command: [String: Any] = ["refuse": count, "status": status, "answer_bytes": answerBytes]
        if let retryAfter { command["retry_after"] = retryAfter }
        let (answered, _, _) = try RawHTTP.request(
            "POST",
            host: "127.0.0.1",
            port: self.port,
            path: "/_control",
            body: try JSONSerialization.data(withJSONObject: command)
        )
        guard answered < 300 else { throw TestEnvironmentError("the webhook receiver answered \(answered)") }
    }

    /// Waits until at least `count` POSTs arrived (or `timeout` passed) and returns them all.
    public func waitForRequests(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let received = try self.requests()
            if received.count >= count || ContinuousClock.now >= deadline { return received }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

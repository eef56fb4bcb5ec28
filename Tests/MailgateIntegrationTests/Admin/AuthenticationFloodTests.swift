import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import NIOCore
import Testing

/// Callers guessing keys: what they cost the database, and what legitimate callers notice.
@Suite("Floods of invalid keys")
struct AuthenticationFloodTests {
    static let whoAmI = "/mailgate.v1.Health/WhoAmI"

    /// A well-formed key no server issued.
    static func randomKey() -> String {
        APIKey.generate().presentedForm.exposedValue
    }

    /// The ops port's `/metrics` sample `sample` (name and labels), 0 when absent.
    static func metric(_ application: MailgateApplication, _ sample: String) async throws -> Double {
        let port = try #require(try await application.opsServer?.listeningAddress.port)
        let (_, _, body) = try await offCooperativePool {
            try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/metrics")
        }
        return MetricsTests.value(String(decoding: body, as: UTF8.self), sample) ?? 0
    }

    /// WhoAmI with `key` on `connection`: its status.
    static func whoAmI(_ connection: RPCClientConnection, key: String) async throws -> Mailgate_V1_Status {
        try await connection.call(
            method: Self.whoAmI,
            metadata: ["authorization": "Bearer \(key)"],
            timeout: .seconds(30),
            payload: []
        ).status
    }

    @Test(
        "random keys from one address cost one lookup each up to the burst, then get AUTHENTICATION_RATE_LIMITED; a key seen valid keeps working, one not seen yet waits"
    )
    func flood() async throws {
        // One failure earned back a minute: what the address earns during the test does not
        // depend on how fast the machine runs it.
        try await withRunningApplication(
            keyCacheTTL: .milliseconds(200),
            authentication: AuthenticationSettings(failureBurst: 5, failuresPerMinute: 1),
            ops: OpsConfiguration(port: 0)
        ) { application, port, _ in
            let operatorKey = testOperatorKey.presentedForm.exposedValue
            let operatorClient = MailgateClient(configuration: .init(port: port, apiKey: operatorKey))
            _ = try await operatorClient.whoAmI()
            try await operatorClient.makeTenant("flooded")
            let unseenKey = try await operatorClient.makeTenantKey("flooded").secret

            let flood = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let started = ContinuousClock.now
            var statuses: [Mailgate_V1_Status] = []
            for _ in 0..<10 {
                statuses += try await withThrowingTaskGroup(of: Mailgate_V1_Status.self) { group in
                    for _ in 0..<20 { group.addTask { try await Self.whoAmI(flood, key: Self.randomKey()) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                // The operator's key is refreshed (its cache entry outlives 200 ms) and still works.
                #expect(try await operatorClient.whoAmI().scope == "operator")
                try await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = ContinuousClock.now - started
            let reasons = Dictionary(grouping: statuses, by: \.reason).mapValues(\.count)
            #expect(statuses.count == 200)
            #expect(Set(reasons.keys) == ["INVALID_API_KEY", "AUTHENTICATION_RATE_LIMITED"], "\(reasons)")
            let limited = try #require(statuses.first { $0.reason == "AUTHENTICATION_RATE_LIMITED" })
            #expect(limited.code == StatusCode.resourceExhausted.wire)
            #expect((1...60_000).contains(limited.retryAfterMs))
            let lookups = try await Self.metric(application, #"mailgate_auth_key_lookups_total{result="not_found"}"#)
            let allowed = 5 + elapsed.components.seconds / 60 + 1
            #expect(lookups <= Double(allowed), "\(lookups) lookups of unknown ids in \(elapsed)")
            #expect(Double(reasons["INVALID_API_KEY"] ?? 0) == lookups, "each lookup answered INVALID_API_KEY")
            #expect(
                try await Self.metric(
                    application,
                    #"mailgate_auth_failures_total{reason="AUTHENTICATION_RATE_LIMITED"}"#
                )
                    == Double(reasons["AUTHENTICATION_RATE_LIMITED"] ?? 0)
            )

            // A valid key this replica has not seen yet, from the flooding address, waits like
            // the flood (until the address earns a failure back).
            let waiting = try await Self.whoAmI(flood, key: unseenKey)
            #expect(waiting.reason == "AUTHENTICATION_RATE_LIMITED")
            #expect(waiting.retryAfterMs > 0)
            await flood.close()
            await operatorClient.close()
        }
    }

    @Test("an unknown key id asked again while it is remembered (10 s by default) costs no second lookup")
    func unknownKeyCached() async throws {
        try await withRunningApplication(
            authentication: AuthenticationSettings(unknownKeyCacheTTL: .seconds(300)),
            ops: OpsConfiguration(port: 0)
        ) { application, port, _ in
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let key = Self.randomKey()
            for _ in 0..<10 {
                let status = try await Self.whoAmI(connection, key: key)
                #expect(status.reason == "INVALID_API_KEY")
            }
            #expect(try await Self.metric(application, #"mailgate_auth_key_lookups_total{result="not_found"}"#) == 1)
            await connection.close()
        }
    }

    @Test("fifty concurrent first calls with a valid key from one address are all accepted, for one lookup")
    func concurrentFirstUse() async throws {
        try await withRunningApplication(keyCacheTTL: .seconds(300), ops: OpsConfiguration(port: 0)) {
            application,
            port,
            _ in
            let operatorClient = MailgateClient(
                configuration: .init(port: port, apiKey: testOperatorKey.presentedForm.exposedValue)
            )
            try await operatorClient.makeTenant("busy")
            let key = try await operatorClient.makeTenantKey("busy").secret
            await operatorClient.close()
            let foundBefore = try await Self.metric(application, #"mailgate_auth_key_lookups_total{result="found"}"#)

            // More than the burst of failures (20) an address may make: were each call charged
            // for its own lookup, the last thirty would be refused.
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let codes = try await withThrowingTaskGroup(of: StatusCode.self) { group in
                for _ in 0..<50 { group.addTask { StatusCode(try await Self.whoAmI(connection, key: key).code) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(codes == Array(repeating: .ok, count: 50))
            let foundAfter = try await Self.metric(application, #"mailgate_auth_key_lookups_total{result="found"}"#)
            #expect(foundAfter - foundBefore == 1, "one lookup for the fifty calls")
            await connection.close()
        }
    }
}

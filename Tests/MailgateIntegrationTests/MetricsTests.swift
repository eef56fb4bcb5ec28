import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateService
import MailgateTestSupport
import Testing

@Suite("Metrics on the ops port")
struct MetricsTests {
    /// The ops port's `/metrics` text.
    static func scrape(_ admin: AdminFixture) async throws -> String {
        let port = try await admin.opsPort()
        let (status, _, body) = try await offCooperativePool {
            try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/metrics")
        }
        #expect(status == 200)
        return String(decoding: body, as: UTF8.self)
    }

    /// The value of the sample `line` starts with (name and labels), or nil.
    static func value(_ text: String, _ sample: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    @Test(
        "RPC calls by method and code, latency, connections, delivery attempts by outcome, queue depth, heartbeats, validations and database pool usage; no addresses or subjects"
    )
    func deliveryAndRPC() async throws {
        try await MailFixture.run(ops: OpsConfiguration(port: 0)) { fixture in
            let sent = try await fixture.client.sendMail(
                MailFixture.message(to: ["alice@example.org"], subject: "Quarterly invoice")
            )
            _ = try await fixture.waitFor(sent.messageID, state: .sent)
            let missing = await expectRPCError { _ = try await fixture.get("00000000-0000-0000-0000-000000000000") }
            #expect(missing?.code == .notFound)
            _ = try await fixture.client.validate("relay", testMessage: false)

            let text = try await Self.scrape(fixture.admin)
            #expect(
                Self.value(text, #"mailgate_rpc_calls_total{method="/mailgate.v1.Mailer/SendMail",code="OK"}"#) == 1,
                "\(text)"
            )
            #expect(
                Self.value(text, #"mailgate_rpc_calls_total{method="/mailgate.v1.Mailer/GetMessage",code="NOT_FOUND"}"#)
                    == 1
            )
            #expect(
                Self.value(text, #"mailgate_rpc_call_duration_seconds_count{method="/mailgate.v1.Mailer/SendMail"}"#)
                    == 1
            )
            #expect(
                text.contains(#"mailgate_rpc_call_duration_seconds_bucket{method="/mailgate.v1.Mailer/SendMail",le="#)
            )
            #expect((Self.value(text, "mailgate_rpc_connections_open") ?? 0) >= 1)
            #expect(Self.value(text, "mailgate_rpc_calls_in_flight") != nil)
            #expect(Self.value(text, #"mailgate_delivery_attempts_total{outcome="delivered",reply_class="2xx"}"#) == 1)
            #expect(Self.value(text, #"mailgate_server_validations_total{result="passed"}"#) == 1)
            #expect(Self.value(text, #"mailgate_queue_messages{state="due"}"#) != nil)
            #expect(Self.value(text, "mailgate_servers_blocked") == 0)
            #expect(Self.value(text, "mailgate_delivery_workers") == 2)
            #expect((Self.value(text, "mailgate_worker_heartbeats_total") ?? 0) >= 1)
            // Pool usage: the pool's size, connections leased now, and what each operation took.
            #expect(Self.value(text, "mailgate_db_pool_connections_max") == 20)
            #expect(Self.value(text, "mailgate_db_operations_in_flight") != nil)
            #expect((Self.value(text, #"mailgate_db_operation_duration_seconds_count{kind="query"}"#) ?? 0) >= 1)
            #expect((Self.value(text, #"mailgate_db_operation_duration_seconds_count{kind="transaction"}"#) ?? 0) >= 1)
            for private_ in ["alice@example.org", "billing@acme.example", "Quarterly invoice"] {
                #expect(!text.contains(private_), "metrics never carry \(private_)")
            }
        }
    }

    @Test("token requests by provider and outcome")
    func tokenRequests() async throws {
        try await OAuthFixture.run { fixture in
            let id = try await fixture.send()
            _ = try await fixture.mail.waitFor(id, state: .sent)
            try fixture.tokens.fail("server_error", count: 1)
            _ = await expectRPCErrorQuietly { _ = try await fixture.refreshToken() }
            let text = try await Self.scrape(fixture.admin)
            #expect(
                Self.value(text, #"mailgate_token_requests_total{provider="microsoft",outcome="ok"}"#) == 1,
                "\(text)"
            )
            #expect(
                Self.value(
                    text,
                    #"mailgate_token_requests_total{provider="microsoft",outcome="TOKEN_ENDPOINT_UNAVAILABLE"}"#
                ) == 1
            )
        }
    }

    @Test("the process's own figures in Prometheus's standard names, and the build, at every scrape")
    func processAndBuild() async throws {
        try await AdminFixture.run(ops: OpsConfiguration(port: 0)) { fixture in
            let text = try await Self.scrape(fixture)
            #expect(Self.value(text, "mailgate_build_info{version=\"\(MailgateVersion.current)\"}") == 1)
            let resident = try #require(Self.value(text, "process_resident_memory_bytes"))
            #expect(resident > 10_000_000 && resident < 4_000_000_000)
            #expect(try #require(Self.value(text, "process_cpu_seconds_total")) > 0)
            let started = try #require(Self.value(text, "process_start_time_seconds"))
            #expect(abs(started - Date().timeIntervalSince1970) < 3600, "started within the hour")
            let open = try #require(Self.value(text, "process_open_fds"))
            #expect(open > 3 && open <= (Self.value(text, "process_max_fds") ?? 0))
            #expect(text.contains("# TYPE process_cpu_seconds_total counter"))
        }
    }
}

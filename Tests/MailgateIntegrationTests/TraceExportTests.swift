import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateService
import MailgateTestSupport
import NIOCore
import NIOPosix
import Testing

/// `mailgate serve` exports its spans over OTLP/HTTP when the standard OTEL_* variables ask
/// for it, to a receiver that decodes them as a collector does; its JSON log lines carry the
/// trace and span they were written in.
@Suite("Trace export (OTLP)")
struct TraceExportTests {
    @Test(
        "a SendMail call's span reaches the OTLP receiver with its database spans under it, and its log lines carry its trace_id",
        arguments: ["http/protobuf", "http/json"]
    )
    func sendMailSpanExported(encoding: String) async throws {
        let executable = ServeProcessTests.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "swift build first")
        let receiver = try OTLPTestReceiver()
        let smtp = try SMTPTestServer(arguments: [])
        try await TestDatabase.withFresh { database in
            let port = try await ServeProcessTests.freePort()
            let key = APIKey.generate().presentedForm.exposedValue
            let environment = ServeEnvironment.make(
                database: database,
                port: port,
                operatorKey: key,
                [
                    "MAILGATE_LOG_FORMAT": "json", "MAILGATE_LOG_LEVEL": "debug",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                    "OTEL_EXPORTER_OTLP_PROTOCOL": encoding,
                    "OTEL_BSP_SCHEDULE_DELAY": "200",
                    // A collector credential: swift-otel reports each OTEL_* it applies at info.
                    "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=otlp-credential-4242",
                    "OTEL_LOG_LEVEL": "info",
                ]
            )
            let server = try ChildProcess(executable.path, ["serve"], environment: environment, capture: .standardError)
            let logText = Task { String(decoding: await server.readOutput(), as: UTF8.self) }
            defer { server.stopInBackground() }

            let operatorClient = MailgateClient(configuration: .init(port: port, apiKey: key))
            defer { Task { await operatorClient.close() } }
            _ = try await eventually(limit: .seconds(60)) { try? await operatorClient.check() }
            _ = try await operatorClient.makeTenant("acme")
            var put = Mailgate_V1_PutServerRequest()
            put.tenant = "acme"
            put.name = "relay"
            put.host = "127.0.0.1"
            put.port = UInt32(smtp.port)
            put.security = .none
            put.senderAddress = "billing@acme.example"
            put.authType = .none
            _ = try await operatorClient.putServer(put)
            let tenantClient = MailgateClient(
                configuration: .init(port: port, apiKey: try await operatorClient.makeTenantKey("acme").secret)
            )
            defer { Task { await tenantClient.close() } }
            var send = Mailgate_V1_SendMailRequest()
            var recipient = Mailgate_V1_EmailAddress()
            recipient.address = "alice@example.org"
            send.to = [recipient]
            send.subject = "Traced"
            send.textBody = "Hello"
            let messageID = try await tenantClient.sendMail(send).messageID
            _ = try await eventually(limit: .seconds(30)) { try smtp.received().isEmpty ? nil : true }

            let spans = try await eventually(limit: .seconds(30)) { () -> [OTLPTestReceiver.ReceivedSpan]? in
                let spans = try receiver.spans()
                return spans.contains { $0.name == "smtp.send" } ? spans : nil
            }
            #expect(try receiver.requests()[encoding == "http/json" ? "json" : "protobuf"] ?? 0 > 0)
            let call = try #require(spans.first { $0.name == "/mailgate.v1.Mailer/SendMail" })
            #expect(call.kind == "SPAN_KIND_SERVER")
            #expect(call.service == "mailgate")
            #expect(call.serviceVersion == MailgateVersion.current)
            #expect(call.attributes["rpc.status_code"] == .string("OK"))
            let underCall = Self.descendants(of: call, in: spans)
            #expect(
                underCall.contains { $0.name == "db.transaction" || $0.name == "db.query" },
                "database spans nest under the call: \(underCall.map(\.name))"
            )
            #expect(underCall.allSatisfy { $0.traceID == call.traceID })
            // The message's insert is written in a batch shared with other callers: a span of
            // its own, linked to the call, with its database work under it.
            let batch = try #require(
                spans.first { span in
                    span.name == "messages.insert_batch" && span.links.contains { $0.spanID == call.spanID }
                }
            )
            #expect(batch.links.allSatisfy { $0.traceID == call.traceID })
            #expect(Self.descendants(of: batch, in: spans).contains { $0.name == "db.query" })
            // Database work on its own (queue polls, heartbeats) starts no trace.
            let roots = spans.filter { $0.parentSpanID.isEmpty && $0.name.hasPrefix("db.") }
            #expect(roots.isEmpty, "database spans without a parent: \(roots.map(\.name))")
            let smtpSend = try #require(spans.first { $0.name == "smtp.send" })
            #expect(smtpSend.kind == "SPAN_KIND_CLIENT")
            #expect(smtpSend.attributes["smtp.outcome"] == .string("delivered"))

            server.kill(SIGTERM)
            #expect(await server.exitStatus(within: .seconds(60)) == 0)
            let lines = await logText.value.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let text = await logText.value
            #expect(text.contains("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), "swift-otel's diagnostics reach the log")
            #expect(!text.contains("otlp-credential-4242"), "the collector credential never does")
            let callLines = lines.filter { ($0["method"] as? String) == "/mailgate.v1.Mailer/SendMail" }
            #expect(!callLines.isEmpty, "the call logs at debug level")
            #expect(
                callLines.allSatisfy { $0["trace_id"] as? String == call.traceID && $0["span_id"] is String },
                "\(callLines)"
            )
            #expect(!messageID.isEmpty)
        }
    }

    /// Spans whose parent chain leads to `root`.
    static func descendants(
        of root: OTLPTestReceiver.ReceivedSpan,
        in spans: [OTLPTestReceiver.ReceivedSpan]
    ) -> [OTLPTestReceiver.ReceivedSpan] {
        var found: [OTLPTestReceiver.ReceivedSpan] = []
        var parents: Set<String> = [root.spanID]
        var grew = true
        while grew {
            grew = false
            for span in spans where parents.contains(span.parentSpanID) && !parents.contains(span.spanID) {
                found.append(span)
                parents.insert(span.spanID)
                grew = true
            }
        }
        return found
    }
}

@Suite("Trace export settings")
struct TraceExportSettingsTests {
    @Test("a collector that accepts and never answers neither stops calls nor holds up a graceful stop")
    func silentCollector() async throws {
        let executable = ServeProcessTests.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "swift build first")
        // Takes connections and reads what comes, answering nothing.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        try await TestDatabase.withFresh { database in
            let port = try await ServeProcessTests.freePort()
            let key = APIKey.generate().presentedForm.exposedValue
            let environment = ServeEnvironment.make(
                database: database,
                port: port,
                operatorKey: key,
                [
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(silent.localAddress!.port!)",
                    "OTEL_BSP_SCHEDULE_DELAY": "100", "MAILGATE_LOG_LEVEL": "warning",
                ]
            )
            let server = try ChildProcess(executable.path, ["serve"], environment: environment, capture: .standardError)
            let logText = Task { String(decoding: await server.readOutput(), as: UTF8.self) }
            defer { server.stopInBackground() }
            let client = MailgateClient(configuration: .init(port: port, apiKey: key))
            _ = try await eventually(limit: .seconds(60)) { try? await client.check() }
            for _ in 0..<20 { _ = try await client.whoAmI() }
            await client.close()
            try await Task.sleep(for: .seconds(1))  // an export is under way, unanswered

            let stopping = ContinuousClock.now
            server.kill(SIGTERM)
            #expect(await server.exitStatus(within: .seconds(60)) == 0)
            let took = ContinuousClock.now - stopping
            #expect(took < .seconds(20), "stopped in \(took)")
            _ = await logText.value
        }
    }

    @Test("serve refuses OTLP over gRPC (this build exports over HTTP) with a clear line")
    func grpcRefused() async throws {
        let (status, text) = try ServeProcessTests.serveRefusal([
            "MAILGATE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "MAILGATE_MASTER_KEYS": MasterKeyRing.generate().text,
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        ])
        #expect(status == 78)
        #expect(text.contains("http/protobuf"), "\(text)")
    }
}

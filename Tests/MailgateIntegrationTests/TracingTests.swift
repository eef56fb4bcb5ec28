import Foundation
import InMemoryTracing
import MailgateClient
import MailgateProto
import MailgateTestSupport
import Testing
import Tracing

/// Spans reach the tracer in effect where the application is made: one server span per
/// call that continues the caller's W3C trace, with database, token and SMTP spans.
@Suite("Tracing")
struct TracingTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let callerSpanID = "00f067aa0ba902b7"

    @Test(
        "a call with a traceparent continues that trace; its database and token spans nest under the call; delivery traces its SMTP send"
    )
    func spans() async throws {
        let tracer = W3CTestTracer()
        try await withTracer(tracer) {
            try await OAuthFixture.run { fixture in
                var configuration = fixture.client.configuration
                configuration.metadata["traceparent"] = "00-\(Self.traceID)-\(Self.callerSpanID)-01"
                let traced = MailgateClient(configuration: configuration)
                var refresh = Mailgate_V1_RefreshTokenRequest()
                refresh.server = "m365"
                _ = try await traced.refreshToken(refresh)
                await traced.close()

                let id = try await fixture.send()
                _ = try await fixture.mail.waitFor(id, state: .sent)
            }
        }
        let spans = tracer.finishedSpans
        let call = try #require(
            spans.first { $0.operationName == "/mailgate.v1.Mailer/RefreshToken" && $0.traceID == Self.traceID }
        )
        #expect(call.kind == .server)
        #expect(call.parentSpanID == Self.callerSpanID, "the call continues the caller's span")
        #expect(call.attributes["rpc.status_code"]?.toSpanAttribute() == "OK")

        let children = spans.filter { $0.parentSpanID == call.spanID }
        #expect(children.allSatisfy { $0.traceID == Self.traceID })
        let token = try #require(children.first { $0.operationName == "oauth.token_request" })
        #expect(token.kind == .client)
        #expect(token.attributes["oauth.provider"]?.toSpanAttribute() == "microsoft")
        #expect(token.attributes["http.response.status_code"]?.toSpanAttribute() == 200)
        #expect(
            children.contains { $0.operationName == "db.transaction" || $0.operationName == "db.query" },
            "database calls nest under the call"
        )

        // A call without a traceparent starts its own trace.
        let send = try #require(spans.first { $0.operationName == "/mailgate.v1.Mailer/SendMail" })
        #expect(send.traceID != Self.traceID && send.parentSpanID == nil)
        let smtp = try #require(spans.first { $0.operationName == "smtp.send" })
        #expect(smtp.attributes["smtp.outcome"]?.toSpanAttribute() == "delivered")
        #expect(smtp.attributes["smtp.reply_code"]?.toSpanAttribute() == 250)

        // Spans carry no secret.
        let attributeText = spans.map { span in
            var text = ""
            span.attributes.forEach { key, value in text += "\(key)=\(value) " }
            return text
        }.joined(separator: "\n")
        #expect(!attributeText.contains(OAuthFixture.clientSecret))
        #expect(attributeText.firstMatch(of: /at-[A-Za-z0-9_-]{32}/) == nil, "no access token")
    }
}

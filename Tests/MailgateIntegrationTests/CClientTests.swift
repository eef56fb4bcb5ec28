import MailgateCore
import Foundation
import MailgateTestSupport
import Testing

/// The C client (clients/c, protobuf-c) against the real server: a second, independent
/// implementation of the wire format.
@Suite("C client interop")
struct CClientTests {
    static var binary: URL { repositoryRoot().appendingPathComponent("clients/c/build/mailgate-example") }

    /// Runs the C example program; returns its exit status and standard output.
    /// Runs the example with a generous call deadline: the suite loads the machine, and a fresh
    /// application's first key lookup has been seen to take more than the client's default 5 s
    /// there. What these tests check is the wire format, not latency.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (Int32, String) {
        try await runProgram(Self.binary, ["--timeout-ms", "30000"] + arguments, environment: environment)
    }

    /// Runs the C example program; returns its exit status and standard error.
    static func runForErrors(_ arguments: [String]) async throws -> (Int32, String) {
        try await offCooperativePool {
            let process = try ChildProcess(
                Self.binary.path,
                ["--timeout-ms", "30000"] + arguments,
                capture: .standardError
            )
            let data = process.output?.readDataToEndOfFile() ?? Data()
            let status = process.waitUntilExit()
            return (status, String(decoding: data, as: UTF8.self))
        }
    }

    @Test("Check, WhoAmI, an unauthenticated call and an unknown method, all from C")
    func roundTrip() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.binary.path),
            "build the C client first: make -C clients/c (scripts/test does)"
        )
        try await withRunningApplication { _, port, _ in
            let check = try await Self.run(["--port", "\(port)", "check"])
            #expect(check.0 == 0)
            #expect(check.1.hasPrefix("status=SERVING version="))

            let whoami = try await Self.run([
                "--port", "\(port)", "--key", testOperatorKey.presentedForm.exposedValue, "whoami",
            ])
            #expect(whoami.0 == 0)
            #expect(whoami.1 == "key_id=\(testOperatorKey.id) scope=operator tenant=")

            let fromEnvironment = try await Self.run(
                ["--port", "\(port)", "whoami"],
                environment: ["MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue]
            )
            #expect(fromEnvironment.0 == 0)

            let anonymous = try await Self.run(["--port", "\(port)", "whoami"])
            #expect(anonymous.0 == 2)
            #expect(anonymous.1.hasPrefix("error code=16 name=UNAUTHENTICATED"))

            let unknown = try await Self.run([
                "--port", "\(port)", "--key", testOperatorKey.presentedForm.exposedValue, "raw",
                "/mailgate.v1.Nope/Nothing",
            ])
            #expect(unknown.0 == 2)
            #expect(unknown.1.hasPrefix("error code=12 name=UNIMPLEMENTED"))
        }
    }

    @Test(
        "Over TLS: a mail sent from C is SENT and received, typed errors carry field violations, an untrusted CA fails"
    )
    func mailOverTLS() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.binary.path),
            "build the C client first: make -C clients/c (scripts/test does)"
        )
        try await MailFixture.run(rpcTLS: true) { fixture in
            let caFile = try #require(fixture.rpcCAFile)
            let key = try await fixture.admin.createTenantKey("acme")
            // The certificate is for localhost and 127.0.0.1: the name is checked, not only the chain.
            let tls = ["--port", "\(fixture.admin.port)", "--ca-file", caFile, "--server-name", "localhost"]

            let sent = try await Self.run(
                tls + ["send", "--to", "alice@example.org", "--subject", "Invoice 42", "--text", "Hello from C"],
                environment: ["MAILGATE_KEY": key]
            )
            #expect(sent.0 == 0, "send: \(sent.1)")
            let id = try #require(
                sent.1.split(separator: " ").first { $0.hasPrefix("message_id=") }?.dropFirst("message_id=".count)
            )
            #expect(sent.1.hasSuffix("state=QUEUED"))

            let waited = try await Self.run(tls + ["--key", key, "--wait-ms", "30000", "wait", String(id)])
            #expect(waited.0 == 0)
            #expect(waited.1.hasPrefix("message_id=\(id) state=SENT attempts="), "wait: \(waited.1)")
            let got = try await Self.run(tls + ["--key", key, "get", String(id)])
            #expect(got.0 == 0)
            #expect(got.1.hasPrefix("message_id=\(id) state=SENT"))

            let received = try fixture.smtp.received()
            #expect(received.count == 1)
            #expect((received.first?.envelope["rcpt_tos"] as? [String]) == ["alice@example.org"])
            let mail = String(decoding: received.first?.bytes ?? Data(), as: UTF8.self)
            #expect(mail.contains("Subject: Invoice 42"))
            #expect(mail.contains("Hello from C"))

            // A typed error with the server's reason and field violations, as the C client prints them.
            let invalid = try await Self.run(tls + ["--key", key, "send", "--to", "not-an-address", "--text", "x"])
            #expect(invalid.0 == 2)
            let lines = invalid.1.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("error code=3 name=INVALID_ARGUMENT reason=INVALID_FIELDS message=") == true)
            #expect(lines.dropFirst().contains { $0.hasPrefix("field_violation field=to[0].address description=") })

            let validated = try await Self.run(tls + ["--key", key, "validate", "--no-test-message", "relay"])
            #expect(validated.0 == 0)
            #expect(validated.1.hasPrefix("ok=true summary="), "validate: \(validated.1)")
            #expect(validated.1.contains("check name=connect outcome=OK"))

            let refreshed = try await Self.run(tls + ["--key", key, "refresh", "relay"])
            #expect(refreshed.0 == 2)
            #expect(refreshed.1.hasPrefix("error code=9 name=FAILED_PRECONDITION reason=NOT_OAUTH message="))

            // Another CA (the SMTP peer's certificate), another name, or no TLS at all: clean failures.
            let wrongCA = try await Self.runForErrors([
                "--port", "\(fixture.admin.port)", "--ca-file",
                fixture.certificates.appendingPathComponent("cert.pem").path,
                "--key", key, "whoami",
            ])
            #expect(wrongCA.0 == 1)
            #expect(wrongCA.1.contains("certificate is not trusted"), "wrong CA: \(wrongCA.1)")
            let wrongName = try await Self.runForErrors([
                "--port", "\(fixture.admin.port)", "--ca-file", caFile, "--server-name", "mail.example.com", "check",
            ])
            #expect(wrongName.0 == 1)
            #expect(wrongName.1.contains("hostname mismatch"), "wrong name: \(wrongName.1)")
            let plaintext = try await Self.run(["--port", "\(fixture.admin.port)", "check"])
            #expect(plaintext.0 == 1)
            #expect(plaintext.1.isEmpty)
            // Nothing else reached the SMTP peer.
            #expect(try fixture.smtp.received().count == 1)
        }
    }
}

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
}

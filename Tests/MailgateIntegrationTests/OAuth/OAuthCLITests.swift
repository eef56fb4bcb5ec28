import Foundation
import MailgateCore
import MailgateProto
import MailgateTestSupport
import Testing

@Suite("mailgate server authorize / refresh-token")
struct OAuthCLITests {
    @Test(
        "authorize prints the URL, waits for the browser's return through the ops port, and reports the stored token; refresh-token prints the outcome"
    )
    func authorizeAndRefresh() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await OAuthFixture.run(flow: .authorizationCode, server: { request, _ in request.clearRefreshToken() }) {
            fixture in
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.admin.port)",
                "MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue,
            ]
            let tokens = fixture.tokens
            let opsPort = try await fixture.admin.opsPort()
            let (status, output) = try await offCooperativePool {
                let process = try ChildProcess(
                    CLITests.executable.path,
                    ["server", "authorize", "m365", "--tenant", "acme", "--format", "json"],
                    environment: environment,
                    capture: .standardOutput
                )
                let stdout = try #require(process.output)
                // The first line is the JSON record with the URL; act as the browser.
                var line = Data()
                while true {
                    let byte = stdout.readData(ofLength: 1)
                    if byte.isEmpty || byte == Data("\n".utf8) { break }
                    line += byte
                }
                let record = try JSONSerialization.jsonObject(with: line) as? [String: String]
                let url = try #require(record?["authorization_url"])
                let location = try tokens.consent(at: url)
                let callback = try #require(URLComponents(string: location))
                _ = try RawHTTP.request(
                    "GET",
                    host: "127.0.0.1",
                    port: opsPort,
                    path: callback.path + "?" + (callback.percentEncodedQuery ?? "")
                )
                let rest = stdout.readDataToEndOfFile()
                return (process.waitUntilExit(), String(decoding: rest, as: UTF8.self))
            }
            #expect(status == 0, "\(output)")
            #expect(output.contains("\"result\":\"connected\""), "\(output)")
            #expect(try await fixture.server().refreshToken.isSet)

            let (refreshStatus, refreshed) = try await CLITests.mailgate(
                ["server", "refresh-token", "m365", "--tenant", "acme"],
                environment
            )
            #expect(refreshStatus == 0)
            #expect(refreshed.contains("refresh_token_rotated") && refreshed.contains("yes"), "\(refreshed)")
            #expect(!refreshed.contains("at-") && !refreshed.contains("rt-"), "no token is printed")

            try fixture.tokens.revokeRefreshTokens()
            let (failedStatus, _) = try await CLITests.mailgate(
                ["server", "refresh-token", "m365", "--tenant", "acme"],
                environment
            )
            #expect(failedStatus == 2, "a failed refresh exits non-zero")
        }
    }
}

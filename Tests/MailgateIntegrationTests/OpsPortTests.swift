import Foundation
import MailgateService
import MailgateTestSupport
import Testing

@Suite("Ops HTTP port")
struct OpsPortTests {
    @Test(
        "healthz and readyz answer; unknown paths are 404; an oversized body is 413; a callback without state is 400; nothing hangs"
    )
    func basics() async throws {
        try await AdminFixture.run(ops: OpsConfiguration(port: 0)) { fixture in
            let port = try await fixture.opsPort()
            let results = try await offCooperativePool {
                [
                    try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/healthz"),
                    try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/readyz"),
                    try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/nope"),
                    try RawHTTP.request(
                        "POST",
                        host: "127.0.0.1",
                        port: port,
                        path: "/oauth/callback",
                        body: Data(repeating: 65, count: 200_000)
                    ),
                    try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/oauth/callback?code=x"),
                    try RawHTTP.request("DELETE", host: "127.0.0.1", port: port, path: "/oauth/callback"),
                ]
            }
            #expect(results.map(\.status) == [200, 200, 404, 413, 400, 405])
            #expect(String(decoding: results[1].body, as: UTF8.self) == "ready\n")
            #expect(results[4].headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(results.allSatisfy { $0.headers["connection"] == "close" })
        }
    }
}

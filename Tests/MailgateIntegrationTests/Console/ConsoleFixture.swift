import Foundation
import Logging
import MailgateConsole
import MailgateService
import MailgateTestSupport

/// An `AdminFixture` with the console running beside it on a free loopback port.
struct ConsoleFixture: Sendable {
    let admin: AdminFixture
    let consolePort: Int

    static func run<Result: Sendable>(
        idleTimeout: Duration = .seconds(1800),
        authentication: AuthenticationSettings = AuthenticationSettings(),
        _ body: (ConsoleFixture) async throws -> Result
    ) async throws -> Result {
        try await AdminFixture.run(authentication: authentication) { admin in
            let console = try ConsoleServer(
                configuration: ConsoleConfiguration(host: "127.0.0.1", port: 0, idleTimeout: idleTimeout),
                backend: ConsoleBackend(application: admin.application, logger: Logger(label: "console-test")),
                logger: Logger(label: "console-test")
            )
            let running = Task { try await console.run() }
            defer { running.cancel() }
            let port = try await console.listeningPort
            return try await body(ConsoleFixture(admin: admin, consolePort: port))
        }
    }

    func browser() -> ConsoleBrowser { ConsoleBrowser(port: self.consolePort) }
}

/// A minimal browser for the console: keeps its cookies, reads the form token of a page.
struct ConsoleBrowser: Sendable {
    struct Page: Sendable {
        var status: Int
        var headers: [String: String]
        var html: String

        /// The value of the first hidden `csrf` field.
        var csrf: String? {
            guard let match = self.html.firstMatch(of: /name="csrf" value="([^"]+)"/) else { return nil }
            return String(match.output.1)
        }
    }

    let port: Int
    var cookies: [String: String] = [:]

    mutating func get(_ path: String, headers: [String: String] = [:]) async throws -> Page {
        try await self.send("GET", path, headers: headers)
    }

    /// Posts `fields` as a form, from this console's origin unless `origin` says otherwise.
    mutating func post(_ path: String, _ fields: [String: String], origin: String? = nil) async throws -> Page {
        let body = fields.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await self.send(
            "POST",
            path,
            headers: [
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin ?? "http://127.0.0.1:\(self.port)",
            ],
            body: Data(body.utf8)
        )
    }

    /// Signs in with `key`; the page the sign-in ends on.
    mutating func signIn(_ key: String) async throws -> Page {
        let form = try await self.get("/sign-in")
        return try await self.post("/sign-in", ["csrf": form.csrf ?? "", "key": key])
    }

    private mutating func send(_ method: String, _ path: String, headers: [String: String], body: Data = Data())
        async throws -> Page
    {
        var headers = headers
        if !self.cookies.isEmpty {
            headers["Cookie"] = self.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let (port, sent) = (self.port, headers)
        let response = try await offCooperativePool {
            try RawHTTP.request(method, host: "127.0.0.1", port: port, path: path, headers: sent, body: body)
        }
        if let cookie = response.headers["set-cookie"], let pair = cookie.split(separator: ";").first {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 {
                let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
                if parts[1].isEmpty { self.cookies[name] = nil } else { self.cookies[name] = String(parts[1]) }
            }
        }
        return Page(
            status: response.status,
            headers: response.headers,
            html: String(decoding: response.body, as: UTF8.self)
        )
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? ""
    }
}

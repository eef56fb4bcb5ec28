import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateService
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

/// A running Mailgate with tenant `acme`, its key, and an output server `relay`
/// pointing at an aiosmtpd server of the test's own.
struct MailFixture: Sendable {
    let admin: AdminFixture
    let smtp: SMTPTestServer
    let client: MailgateClient
    let tenantID: String
    /// The CA bundle delivery trusts (the SMTP fixture's certificate).
    let caFile: String?
    /// Where the SMTP server's certificates are.
    let certificates: URL
    /// With `rpcTLS`: the CA file (the RPC server's own certificate, for `localhost` and
    /// 127.0.0.1) a client must trust to call it; nil when the RPC server is plaintext.
    let rpcCAFile: String?

    /// Delivery settings that make retries and pauses fast enough for tests.
    static func settings(
        caFile: String? = nil,
        workers: Int = 2,
        claimBatch: Int = 32,
        giveUpAfter: Duration = .seconds(60),
        blockWait: Duration = .seconds(30),
        lease: Duration = .seconds(300)
    ) -> MailerSettings {
        MailerSettings(
            workers: workers,
            claimBatch: claimBatch,
            lease: lease,
            pollInterval: .milliseconds(100),
            retry: RetryPolicy(
                initialDelay: .milliseconds(300),
                maximumDelay: .seconds(1),
                giveUpAfter: giveUpAfter,
                jitter: 0
            ),
            caFile: caFile,
            // The SMTP and token fixtures listen on loopback.
            destinations: .loopbackAllowed,
            smtpTimeout: .seconds(5),
            throttlePause: .milliseconds(700),
            quotaPause: .seconds(2),
            blockInitialWait: blockWait,
            blockMaximumWait: blockWait
        )
    }

    /// `smtpArguments` go to smtp_server.py; TLS modes get a certificate for 127.0.0.1
    /// that the delivery settings trust (`wrongHost` uses one for another name).
    static func run<Result: Sendable>(
        smtpArguments: [String] = [],
        tlsMode: String? = nil,
        wrongHost: Bool = false,
        trustTestCA: Bool = true,
        expiringCertificate: Bool = false,
        renewableCertificate: Bool = false,
        trustedCertificates: [String]? = nil,
        workers: Int = 2,
        claimBatch: Int = 32,
        giveUpAfter: Duration = .seconds(60),
        blockWait: Duration = .seconds(30),
        lease: Duration = .seconds(300),
        database: TestDatabase? = nil,
        logger: Logger? = nil,
        tokens: TokenSettings = TokenSettings(),
        ops: OpsConfiguration? = nil,
        expiry: ExpirySettings = ExpirySettings(interval: nil),
        rpcTLS: Bool = false,
        webhooks: WebhookSettings = WebhookSettings(workers: 0),
        server customize: (inout Mailgate_V1_PutServerRequest) -> Void = { _ in },
        _ body: (MailFixture) async throws -> Result
    ) async throws -> Result {
        let certificates = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mailgate-certs-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: certificates, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: certificates) }
        var arguments = smtpArguments
        if let tlsMode {
            let prefix = renewableCertificate ? "served-" : wrongHost ? "wrong-" : expiringCertificate ? "soon-" : ""
            arguments += [
                "--mode", tlsMode,
                "--cert", certificates.appendingPathComponent("\(prefix)cert.pem").path,
                "--key", certificates.appendingPathComponent("\(prefix)key.pem").path,
            ]
        }
        let serverArguments = arguments
        let smtp = try await offCooperativePool {
            try SMTPTestServer.makeCertificates(in: certificates)
            if renewableCertificate {
                // Served first: the certificate for another host; `renewCertificate()` swaps in the right one.
                try Self.serve(prefix: "wrong-", in: certificates)
                let both =
                    try String(contentsOf: certificates.appendingPathComponent("cert.pem"), encoding: .utf8)
                    + String(contentsOf: certificates.appendingPathComponent("wrong-cert.pem"), encoding: .utf8)
                try both.write(to: certificates.appendingPathComponent("both.pem"), atomically: true, encoding: .utf8)
            }
            return try SMTPTestServer(arguments: serverArguments)
        }
        if let trustedCertificates {
            try Self.trust(trustedCertificates, in: certificates)
        }
        // Without the test CA, delivery trusts the system bundle, which knows nothing of it.
        let caFile =
            trustedCertificates != nil
            ? certificates.appendingPathComponent("trusted.pem").path
            : trustTestCA
                ? certificates.appendingPathComponent(
                    renewableCertificate
                        ? "both.pem" : wrongHost ? "wrong-cert.pem" : expiringCertificate ? "soon-cert.pem" : "cert.pem"
                ).path : nil
        let rpcCertificate =
            rpcTLS
            ? try await offCooperativePool {
                try makeTestCertificate(in: certificates, prefix: "rpc-", subjectAltName: "DNS:localhost,IP:127.0.0.1")
            } : nil
        return try await AdminFixture.run(
            logger: logger,
            mailer: Self.settings(
                caFile: caFile,
                workers: workers,
                claimBatch: claimBatch,
                giveUpAfter: giveUpAfter,
                blockWait: blockWait,
                lease: lease
            ),
            tokens: tokens,
            ops: ops,
            expiry: expiry,
            webhooks: webhooks,
            database: database,
            rpcCertificate: rpcCertificate
        ) { admin in
            let tenant = try await admin.createTenant("acme")
            var request = Mailgate_V1_PutServerRequest()
            request.tenant = "acme"
            request.name = "relay"
            request.host = "127.0.0.1"
            request.port = UInt32(smtp.port)
            request.security = tlsMode == "tls" ? .tls : (tlsMode == "starttls" ? .starttls : .none)
            request.senderName = "Acme Billing"
            request.senderAddress = "billing@acme.example"
            request.authType = .none
            customize(&request)
            _ = try await admin.operatorClient.putServer(request)
            let client = admin.client(apiKey: try await admin.createTenantKey("acme"))
            let fixture = MailFixture(
                admin: admin,
                smtp: smtp,
                client: client,
                tenantID: tenant.id,
                caFile: caFile,
                certificates: certificates,
                rpcCAFile: rpcCertificate?.certificate
            )
            do {
                let result = try await body(fixture)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        }
    }

    /// Copies the `prefix` certificate and key to the files the server serves (`served-*`).
    static func serve(prefix: String, in folder: URL) throws {
        for file in ["cert.pem", "key.pem"] {
            let served = folder.appendingPathComponent("served-\(file)")
            try? FileManager.default.removeItem(at: served)
            try FileManager.default.copyItem(at: folder.appendingPathComponent(prefix + file), to: served)
        }
    }

    /// The server's certificate renewed the right way (for 127.0.0.1, trusted), as an
    /// operator would: new handshakes get it. Only with `renewableCertificate`.
    func renewCertificate() throws {
        try Self.serve(prefix: "", in: self.certificates)
        self.smtp.reloadCertificate()
    }

    /// Rewrites the CA file delivery trusts (`trusted.pem`, with `trustedCertificates`) to hold
    /// the certificates of `prefixes`, as an operator installs a new CA file at the same path.
    static func trust(_ prefixes: [String], in folder: URL) throws {
        let bundle = try prefixes.map {
            try String(contentsOf: folder.appendingPathComponent("\($0)cert.pem"), encoding: .utf8)
        }.joined()
        try bundle.write(to: folder.appendingPathComponent("trusted.pem"), atomically: true, encoding: .utf8)
    }

    /// A simple message to `to`.
    static func message(to: [String] = ["alice@example.org"], subject: String = "Invoice 42", text: String = "Hello")
        -> Mailgate_V1_SendMailRequest
    {
        var request = Mailgate_V1_SendMailRequest()
        request.to = to.map { address in
            var mailbox = Mailgate_V1_EmailAddress()
            mailbox.address = address
            return mailbox
        }
        request.subject = subject
        request.textBody = text
        return request
    }

    /// Waits until the message reaches `state` (or any final state, which is then checked).
    func waitFor(_ id: String, state: Mailgate_V1_MessageState, limit: Duration = .seconds(20)) async throws
        -> Mailgate_V1_GetMessageResponse
    {
        var request = Mailgate_V1_GetMessageRequest()
        request.messageID = id
        let message = try await eventually(limit: limit) {
            let message = try await self.client.getMessage(request)
            return message.state == state || [.sent, .failed, .cancelled].contains(message.state) ? message : nil
        }
        #expect(message.state == state, "message ended \(message.state), last error: \(message.lastError)")
        return message
    }

    /// Puts `relay` again with other credentials.
    func putAuth(_ type: Mailgate_V1_AuthType, username: String, password: String) async throws {
        SecretScan.register(password)
        try await self.reput { request in
            request.authType = type
            request.username = username
            request.password.value = password
        }
    }

    /// Points `relay` at another port.
    func putPort(_ port: Int) async throws {
        try await self.reput { $0.port = UInt32(port) }
    }

    /// Puts `server` again as it is (secrets kept), changed by `change`.
    @discardableResult
    func reput(_ server: String = "relay", _ change: (inout Mailgate_V1_PutServerRequest) -> Void) async throws
        -> Mailgate_V1_OutputServer
    {
        var get = Mailgate_V1_GetServerRequest()
        get.server = server
        let current = try await self.client.getServer(get)
        var request = Mailgate_V1_PutServerRequest()
        request.tenant = "acme"
        request.name = server
        request.host = current.host
        request.port = current.port
        request.security = current.security
        request.senderName = current.senderName
        request.senderAddress = current.senderAddress
        request.authType = current.authType
        request.username = current.username
        request.allowPlaintextAuth = current.allowPlaintextAuth
        if current.hasOauth { request.oauth = current.oauth }
        request.rateLimitPerMinute = current.rateLimitPerMinute
        request.maxConnections = current.maxConnections
        request.discoverSecretExpiry = current.discoverSecretExpiry
        change(&request)
        return try await self.admin.operatorClient.putServer(request)
    }

    /// The tenant's events of `kind`, newest first.
    func events(kind: String) async throws -> [Mailgate_V1_Event] {
        var request = Mailgate_V1_ListEventsRequest()
        request.kind = kind
        return try await self.client.listEvents(request).events
    }

    func get(_ id: String) async throws -> Mailgate_V1_GetMessageResponse {
        var request = Mailgate_V1_GetMessageRequest()
        request.messageID = id
        return try await self.client.getMessage(request)
    }

    /// Rows in `messages` of this fixture's database.
    func storedMessageCount() async throws -> Int {
        try await self.admin.database.withClient { postgres in
            let rows = try await postgres.query("SELECT count(*) FROM messages", logger: .init(label: "test"))
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}

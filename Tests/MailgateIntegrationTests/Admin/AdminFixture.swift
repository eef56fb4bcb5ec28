import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import NIOCore
import NIOSSL
import MailgateTestSupport
import SwiftProtobuf
import Testing

/// A running server with an operator client, and helpers to make tenants, keys and servers.
struct AdminFixture: Sendable {
    let application: MailgateApplication
    let port: Int
    let database: TestDatabase
    let operatorClient: MailgateClient
    /// How the fixture's clients speak TLS to the RPC server; nil for plaintext.
    let clientTLS: TLSConfiguration?

    /// Runs `body` against a fresh server and database. With `rpcCertificate` (PEM files,
    /// e.g. from `makeTestCertificate`) the RPC server speaks only TLS, and the fixture's
    /// clients trust that certificate.
    static func run<Result: Sendable>(
        keyCacheTTL: Duration = .milliseconds(200),
        masterKeys: MasterKeyRing = testMasterKeys,
        authentication: AuthenticationSettings = AuthenticationSettings(),
        logger: Logger? = nil,
        mailer: MailerSettings = MailerSettings(workers: 0, destinations: .loopbackAllowed),
        tokens: TokenSettings = TokenSettings(),
        ops: OpsConfiguration? = nil,
        expiry: ExpirySettings = ExpirySettings(interval: nil),
        webhooks: WebhookSettings = WebhookSettings(workers: 0),
        database: TestDatabase? = nil,
        rpcCertificate: (certificate: String, key: String)? = nil,
        _ body: (AdminFixture) async throws -> Result
    ) async throws -> Result {
        var serverTLS: TLSConfiguration?
        var clientTLS: TLSConfiguration?
        if let rpcCertificate {
            serverTLS = try RPCServerConfiguration.serverTLS(
                certificatePath: rpcCertificate.certificate,
                privateKeyPath: rpcCertificate.key
            )
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rpcCertificate.certificate))
            clientTLS = client
        }
        return try await withRunningApplication(
            masterKeys: masterKeys,
            keyCacheTTL: keyCacheTTL,
            authentication: authentication,
            database: database,
            logger: logger,
            mailer: mailer,
            tokens: tokens,
            ops: ops,
            expiry: expiry,
            webhooks: webhooks,
            configureRPC: { $0.tls = serverTLS }
        ) { application, port, database in
            let fixture = AdminFixture(
                application: application,
                port: port,
                database: database,
                operatorClient: MailgateClient(
                    configuration: .init(
                        port: port,
                        apiKey: testOperatorKey.presentedForm.exposedValue,
                        tls: clientTLS
                    )
                ),
                clientTLS: clientTLS
            )
            do {
                let result = try await body(fixture)
                await fixture.operatorClient.close()
                return result
            } catch {
                await fixture.operatorClient.close()
                throw error
            }
        }
    }

    /// The ops HTTP port, when the application has one.
    func opsPort() async throws -> Int {
        try #require(try await self.application.opsServer?.listeningAddress.port)
    }

    /// A second operator key (the bootstrap one is `testOperatorKey`).
    func createOperatorKey() async throws -> String {
        var request = Mailgate_V1_CreateApiKeyRequest()
        request.scope = .operator
        request.description_p = "second operator"
        return try await self.operatorClient.createApiKey(request).secret
    }

    /// A client with `apiKey`, and optional `tenant` metadata.
    func client(apiKey: String?, tenant: String? = nil) -> MailgateClient {
        MailgateClient(
            configuration: .init(
                port: self.port,
                apiKey: apiKey,
                tls: self.clientTLS,
                metadata: tenant.map { ["tenant": $0] } ?? [:]
            )
        )
    }

    /// An operator client acting in `tenant` through call metadata.
    func operatorClient(actingIn tenant: String) -> MailgateClient {
        self.client(apiKey: testOperatorKey.presentedForm.exposedValue, tenant: tenant)
    }

    @discardableResult
    func createTenant(_ slug: String, contacts: [String] = []) async throws -> Mailgate_V1_Tenant {
        try await self.operatorClient.makeTenant(slug, contacts: contacts)
    }

    /// A new tenant key's full secret form.
    func createTenantKey(_ tenant: String) async throws -> String {
        try await self.operatorClient.makeTenantKey(tenant).secret
    }

    /// Puts a Basic-auth server with `password` into `tenant`.
    @discardableResult
    func putBasicServer(
        _ name: String,
        tenant: String,
        password: String = "correct horse battery staple",
        customize: (inout Mailgate_V1_PutServerRequest) -> Void = { _ in }
    ) async throws -> Mailgate_V1_OutputServer {
        var request = Self.basicServerRequest(name, tenant: tenant, password: password)
        customize(&request)
        return try await self.operatorClient.putServer(request)
    }

    static func basicServerRequest(_ name: String, tenant: String, password: String? = "correct horse battery staple")
        -> Mailgate_V1_PutServerRequest
    {
        var request = Mailgate_V1_PutServerRequest()
        request.tenant = tenant
        request.name = name
        request.host = "smtp.example.com"
        request.port = 587
        request.security = .starttls
        request.senderName = "Billing"
        request.senderAddress = "billing@example.com"
        request.authType = .basic
        request.username = "billing@example.com"
        if let password { request.password.value = password }
        return request
    }

    /// A Microsoft client-credentials server request with `clientSecret`.
    static func microsoftServerRequest(_ name: String, tenant: String, clientSecret: String)
        -> Mailgate_V1_PutServerRequest
    {
        var request = Mailgate_V1_PutServerRequest()
        request.tenant = tenant
        request.name = name
        request.senderAddress = "noreply@contoso.com"
        request.oauth.provider = .microsoft
        request.oauth.flow = .clientCredentials
        request.oauth.clientID = "11111111-2222-3333-4444-555555555555"
        request.oauth.directoryID = "contoso.onmicrosoft.com"
        request.clientSecret.value = clientSecret
        return request
    }
}

/// Runs `body`, expecting an RPCError; returns it.
func expectRPCError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async
    -> RPCError?
{
    do {
        try await body()
        Issue.record("expected an RPCError, but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        Issue.record("expected an RPCError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

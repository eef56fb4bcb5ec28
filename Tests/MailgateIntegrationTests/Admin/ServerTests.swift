import Foundation
import MailgateTestSupport
import MailgateService
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import SwiftProtobuf
import Testing

@Suite("Output servers over RPC")
struct ServerTests {
    @Test("put creates then updates by name; secrets are write-only, kept when omitted, removed when cleared")
    func putGetUpdate() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("servers")
            let password = "s3cret-\(UUID().uuidString)"
            let created = try await fixture.putBasicServer("primary", tenant: "servers", password: password)
            #expect(created.version == 1)
            #expect(created.password.isSet)
            #expect(created.isDefault, "the first server is the tenant's default")
            #expect(try created.serializedData().range(of: Data(password.utf8)) == nil)

            var get = Mailgate_V1_GetServerRequest()
            get.tenant = "servers"
            get.server = created.id
            let byID = try await fixture.operatorClient.getServer(get)
            #expect(byID.name == "primary")
            get.server = "primary"
            #expect(try await fixture.operatorClient.getServer(get).id == created.id)
            get.server = ""
            #expect(try await fixture.operatorClient.getServer(get).id == created.id, "empty = the default server")

            // Omitting the password keeps it; other fields change; the version moves on.
            var update = AdminFixture.basicServerRequest("primary", tenant: "servers", password: nil)
            update.port = 2525
            let updated = try await fixture.operatorClient.putServer(update)
            #expect(updated.version == 2)
            #expect(updated.port == 2525)
            #expect(updated.password.isSet)
            #expect(updated.password.setAt == created.password.setAt)

            // The same put again changes nothing.
            #expect(try await fixture.operatorClient.putServer(update).version == 2)

            // Clearing the password of a basic server is refused: basic needs one.
            update.password.clear = true
            let refused = await expectRPCError { _ = try await fixture.operatorClient.putServer(update) }
            #expect(refused?.fieldViolations.map(\.field) == ["password"])
            update.authType = .none
            update.username = ""
            let cleared = try await fixture.operatorClient.putServer(update)
            #expect(!cleared.password.isSet)
            #expect(cleared.authType == .none)
        }
    }

    @Test(
        "Microsoft presets fill host, port, URLs with the directory id, scopes and 30/min; the secret expiry is estimated"
    )
    func microsoftPreset() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("contoso")
            let server = try await fixture.operatorClient.putServer(
                AdminFixture.microsoftServerRequest("m365", tenant: "contoso", clientSecret: "client~secret~value")
            )
            #expect(server.host == "smtp.office365.com")
            #expect(server.port == 587)
            #expect(server.security == .starttls)
            #expect(server.authType == .oauth2)
            #expect(server.username == "noreply@contoso.com")
            #expect(
                server.oauth.tokenURL == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
            )
            #expect(server.oauth.scopes == ["https://outlook.office365.com/.default"])
            #expect(server.rateLimitPerMinute == 30)
            #expect(server.maxConnections == 3, "Exchange answers 432 4.3.2 past three connections")
            #expect(server.dailyRecipientLimit == 10_000)
            #expect(server.uncertainPolicy == .retry)
            #expect(server.clientSecret.isSet)
            #expect(server.clientSecret.expirySource == .estimated)
            let lifetime = server.clientSecret.expiresAt.date.timeIntervalSince(server.clientSecret.setAt.date)
            #expect(lifetime > 729 * 86400 && lifetime < 732 * 86400, "24 months")

            var withDate = AdminFixture.microsoftServerRequest(
                "m365",
                tenant: "contoso",
                clientSecret: "rotated~secret"
            )
            let expiry = Date().addingTimeInterval(180 * 86400)
            withDate.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: expiry)
            let rotated = try await fixture.operatorClient.putServer(withDate)
            #expect(rotated.clientSecret.expirySource == .operator)
            #expect(abs(rotated.clientSecret.expiresAt.date.timeIntervalSince(expiry)) < 1)

            var google = Mailgate_V1_PutServerRequest()
            google.tenant = "contoso"
            google.name = "gmail"
            google.senderAddress = "sender@gmail.com"
            google.oauth.provider = .google
            google.oauth.clientID = "1234.apps.googleusercontent.com"
            google.clientSecret.value = "google-client-secret"
            let gmail = try await fixture.operatorClient.putServer(google)
            #expect(gmail.host == "smtp.gmail.com")
            #expect(gmail.oauth.flow == .authorizationCode)
            #expect(gmail.oauth.scopes == ["https://mail.google.com/"])
            #expect(gmail.oauth.authorizationURL == "https://accounts.google.com/o/oauth2/v2/auth")
        }
    }

    @Test("every validation rule answers INVALID_ARGUMENT with its field, and nothing is stored")
    func validationRules() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("rules")
            typealias Case = (String, (inout Mailgate_V1_PutServerRequest) -> Void, String)
            let basicCases: [Case] = [
                ("empty name", { $0.name = "" }, "name"),
                ("bad host", { $0.host = "smtp..example.com" }, "host"),
                ("host with space", { $0.host = "smtp example.com" }, "host"),
                ("port too big", { $0.port = 70000 }, "port"),
                ("bad sender", { $0.senderAddress = "billing.example.com" }, "sender_address"),
                ("sender with CRLF", { $0.senderAddress = "a@example.com\r\nBcc: x@evil.example" }, "sender_address"),
                ("sender name with LF", { $0.senderName = "Billing\nBcc: x@evil.example" }, "sender_name"),
                ("basic without username", { $0.username = "" }, "username"),
                ("basic without password", { $0.clearPassword() }, "password"),
                (
                    "basic in clear",
                    {
                        $0.security = .none; $0.port = 25
                    }, "security"
                ),
                ("password with newline", { $0.password.value = "pw\n" }, "password"),
                ("oauth settings on basic", { $0.oauth.provider = .generic }, "oauth"),
            ]
            for (label, change, field) in basicCases {
                var request = AdminFixture.basicServerRequest("s-\(UUID().uuidString.prefix(8))", tenant: "rules")
                change(&request)
                let error = await expectRPCError { _ = try await fixture.operatorClient.putServer(request) }
                #expect(error?.code == .invalidArgument, "\(label)")
                #expect(
                    error?.fieldViolations.map(\.field).contains(field) == true,
                    "\(label): \(error?.description ?? "")"
                )
            }
            let oauthCases: [Case] = [
                (
                    "oauth in clear",
                    {
                        $0.security = .none; $0.port = 25
                    }, "security"
                ),
                ("oauth as someone else", { $0.username = "other@contoso.com" }, "username"),
                ("microsoft without directory", { $0.oauth.directoryID = "" }, "oauth.directory_id"),
                ("client credentials without secret", { $0.clearClientSecret() }, "client_secret"),
                ("no client id", { $0.oauth.clientID = "" }, "oauth.client_id"),
                ("plain http token url", { $0.oauth.tokenURL = "http://tokens.example.com/token" }, "oauth.token_url"),
                ("google client credentials", { $0.oauth.provider = .google }, "oauth.flow"),
                (
                    "expiry in the past",
                    { $0.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: Date(timeIntervalSinceNow: -86400)) },
                    "client_secret_expires_at"
                ),
            ]
            for (label, change, field) in oauthCases {
                var request = AdminFixture.microsoftServerRequest(
                    "o-\(UUID().uuidString.prefix(8))",
                    tenant: "rules",
                    clientSecret: "x"
                )
                change(&request)
                let error = await expectRPCError { _ = try await fixture.operatorClient.putServer(request) }
                #expect(error?.code == .invalidArgument, "\(label)")
                #expect(
                    error?.fieldViolations.map(\.field).contains(field) == true,
                    "\(label): \(error?.description ?? "")"
                )
            }
            var listRequest = Mailgate_V1_ListServersRequest()
            listRequest.tenant = "rules"
            #expect(try await fixture.operatorClient.listServers(listRequest).servers.isEmpty, "nothing was stored")

            var plaintextAllowed = AdminFixture.basicServerRequest("relay", tenant: "rules")
            plaintextAllowed.security = .none
            plaintextAllowed.port = 25
            plaintextAllowed.allowPlaintextAuth = true
            plaintextAllowed.host = "bücher.example"
            let relay = try await fixture.operatorClient.putServer(plaintextAllowed)
            #expect(relay.host == "xn--bcher-kva.example", "IDN hosts are stored in their ASCII form")
        }
    }

    @Test("a stale expected_version is ABORTED; delete honours it too")
    func optimisticConcurrency() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("versions")
            let first = try await fixture.putBasicServer("v", tenant: "versions")
            var update = AdminFixture.basicServerRequest("v", tenant: "versions", password: nil)
            update.expectedVersion = first.version
            update.port = 2525
            let second = try await fixture.operatorClient.putServer(update)
            #expect(second.version == first.version + 1)
            update.port = 2526
            let stale = await expectRPCError { _ = try await fixture.operatorClient.putServer(update) }
            #expect(stale?.code == .aborted)
            #expect(stale?.reason == "VERSION_MISMATCH")

            var delete = Mailgate_V1_DeleteServerRequest()
            delete.tenant = "versions"
            delete.server = "v"
            delete.expectedVersion = first.version
            let staleDelete = await expectRPCError { _ = try await fixture.operatorClient.deleteServer(delete) }
            #expect(staleDelete?.code == .aborted)
            delete.expectedVersion = second.version
            _ = try await fixture.operatorClient.deleteServer(delete)
            var get = Mailgate_V1_GetServerRequest()
            get.tenant = "versions"
            get.server = "v"
            let gone = await expectRPCError { _ = try await fixture.operatorClient.getServer(get) }
            #expect(gone?.code == .notFound)
        }
    }

    @Test("50 parallel puts of one name end in one row whose version counts every put")
    func parallelPuts() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("busy")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        var request = AdminFixture.basicServerRequest("contended", tenant: "busy")
                        request.senderName = "Writer \(index)"
                        request.isDefault = index % 2 == 0
                        // Correctness, not speed: the 50 puts take the tenant lock one after
                        // another, which a machine loaded by the whole suite makes slow.
                        _ = try await fixture.operatorClient.putServer(request, timeout: .seconds(180))
                    }
                }
                try await group.waitForAll()
            }
            var list = Mailgate_V1_ListServersRequest()
            list.tenant = "busy"
            let servers = try await fixture.operatorClient.listServers(list).servers
            #expect(servers.count == 1)
            #expect(servers.first?.version == 50)
        }
    }

    @Test("one default server per tenant: setting another moves the flag")
    func defaultServer() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("defaults")
            let first = try await fixture.putBasicServer("first", tenant: "defaults")
            let second = try await fixture.putBasicServer("second", tenant: "defaults") { $0.isDefault = true }
            #expect(first.isDefault)
            #expect(second.isDefault)
            var list = Mailgate_V1_ListServersRequest()
            list.tenant = "defaults"
            let servers = try await fixture.operatorClient.listServers(list).servers
            #expect(servers.filter(\.isDefault).map(\.name) == ["second"])

            // Deleting the default passes the flag on: the tenant always keeps one.
            var delete = Mailgate_V1_DeleteServerRequest()
            delete.tenant = "defaults"
            delete.server = "second"
            _ = try await fixture.operatorClient.deleteServer(delete)
            var get = Mailgate_V1_GetServerRequest()
            get.tenant = "defaults"
            #expect(try await fixture.operatorClient.getServer(get).name == "first")
        }
    }

    @Test("switching a server from oauth2 to basic removes the OAuth secrets it no longer uses")
    func authSwitchDropsSecrets() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("switch")
            var oauth = AdminFixture.microsoftServerRequest(
                "mailbox",
                tenant: "switch",
                clientSecret: "oauth-client-secret"
            )
            oauth.oauth.flow = .authorizationCode
            oauth.refreshToken.value = "refresh-token-value"
            let before = try await fixture.operatorClient.putServer(oauth)
            #expect(before.clientSecret.isSet && before.refreshToken.isSet)

            var basic = AdminFixture.basicServerRequest("mailbox", tenant: "switch")
            basic.host = "smtp.office365.com"
            _ = try await fixture.operatorClient.putServer(basic)
            let dump = try await databaseDump(fixture.database)
            #expect(!dump.contains("\"client_secret_sealed\":\"v"), "the client secret is gone")
            #expect(!dump.contains("\"refresh_token_sealed\":\"v"), "the refresh token is gone")

            var back = AdminFixture.microsoftServerRequest(
                "mailbox",
                tenant: "switch",
                clientSecret: "new-client-secret"
            )
            back.oauth.flow = .authorizationCode
            let after = try await fixture.operatorClient.putServer(back)
            #expect(!after.refreshToken.isSet, "switching back does not revive the old refresh token")
            #expect(!after.password.isSet)
        }
    }

    @Test("ListServers pages by name")
    func paging() async throws {
        try await AdminFixture.run { fixture in
            try await fixture.createTenant("paged")
            for name in ["c", "a", "e", "b", "d"] { try await fixture.putBasicServer(name, tenant: "paged") }
            var list = Mailgate_V1_ListServersRequest()
            list.tenant = "paged"
            list.pageSize = 2
            var names: [String] = []
            repeat {
                let page = try await fixture.operatorClient.listServers(list)
                #expect(page.servers.count <= 2)
                names += page.servers.map(\.name)
                list.pageToken = page.nextPageToken
            } while !list.pageToken.isEmpty
            #expect(names == ["a", "b", "c", "d", "e"])
        }
    }
}

import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto
import SwiftProtobuf

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract:
            "Put, get, list, delete and validate a tenant's output servers, consent for OAuth ones, refresh their tokens (operators name the tenant with --tenant).",
        subcommands: [
            Put.self, Get.self, List.self, Delete.self, Validate.self, Authorize.self, RefreshToken.self, Export.self,
            Import.self,
        ]
    )

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update a server by name, from flags and/or a YAML or JSON file.",
            discussion: """
                A put sets every non-secret field: flags override the file. Secrets come only from
                files or standard input ("-"), never from the command line; a secret left out keeps
                the stored one. Example:
                  mailgate server put m365 --tenant acme --provider microsoft --flow client_credentials \\
                    --client-id 1111… --directory-id contoso.onmicrosoft.com \\
                    --sender-address noreply@contoso.com --client-secret-file secret.txt
                """
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "The server's name (unique in the tenant).") var name: String?
        @Option(help: "YAML or JSON file with the server's fields (proto field names).") var file: String?
        @Option(help: "SMTP host.") var host: String?
        @Option(help: "SMTP port (default: 587 starttls, 465 tls, 25 none).") var port: UInt32?
        @Option(help: "none, starttls, tls, or opportunistic (STARTTLS if offered; no auth only).")
        var security: String?
        @Option(help: "Display name of the sender.") var senderName: String?
        @Option(help: "Sender address (From).") var senderAddress: String?
        @Option(help: "none, basic or oauth2.") var authType: String?
        @Option(help: "SMTP user name (basic; for oauth2 the sender address).") var username: String?
        @Flag(help: "Allow basic authentication over an unencrypted connection.") var allowPlaintextAuth = false
        @Option(help: "OAuth provider: microsoft, google or generic.") var provider: String?
        @Option(help: "OAuth flow: authorization_code or client_credentials.") var flow: String?
        @Option(help: "OAuth client (application) id.") var clientID: String?
        @Option(help: "Azure AD tenant (directory) id for Microsoft.") var directoryID: String?
        @Option(help: "OAuth authorization URL (presets fill it).") var authorizationURL: String?
        @Option(help: "OAuth token URL (presets fill it).") var tokenURL: String?
        @Option(name: .customLong("scope"), help: "OAuth scope; repeat for more (presets fill them).") var scopes:
            [String] = []
        @Option(help: "When the client secret expires: YYYY-MM-DD or ISO 8601 (default: 24 months after it is stored).")
        var clientSecretExpires: String?
        @Option(help: "Messages a minute across replicas (0 = unlimited).") var rateLimit: UInt32?
        @Option(help: "Concurrent SMTP connections across replicas (0 = unlimited).") var maxConnections: UInt32?
        @Option(help: "Recipients per rolling 24 hours across replicas (0 = unlimited).") var dailyRecipientLimit:
            UInt32?
        @Option(help: "When the server may have accepted a message without confirming it: retry or fail.")
        var uncertainPolicy: String?
        @Flag(
            inversion: .prefixedNo,
            help: "Microsoft: read the client secret's end date from Graph (needs Application.Read.All)."
        )
        var discoverSecretExpiry: Bool?
        @Flag(help: "Make this the tenant's default server.") var `default` = false
        @Option(help: "Only update if the server is at this version.") var expectedVersion: UInt64?
        @Option(help: "File with the SMTP password, or - for standard input.") var passwordFile: String?
        @Option(help: "File with the OAuth client secret, or - for standard input.") var clientSecretFile: String?
        @Option(help: "File with an OAuth refresh token, or - for standard input.") var refreshTokenFile: String?
        @Flag(help: "Remove the stored password.") var clearPassword = false
        @Flag(help: "Remove the stored client secret.") var clearClientSecret = false
        @Flag(help: "Remove the stored refresh token.") var clearRefreshToken = false

        func run() async throws {
            try await runClientCall {
                let request = try self.makeRequest()
                let server = try await self.client.withClient { try await $0.putServer(request) }
                printServer(server, format: self.client.format)
            }
        }

        func makeRequest() throws -> Mailgate_V1_PutServerRequest {
            var request = Mailgate_V1_PutServerRequest()
            if let file { try ServerFile.load(path: file).apply(to: &request) }
            if let name { request.name = name }
            guard !request.name.isEmpty else { throw CLIError("Name the server (argument or name: in the file).") }
            if let host { request.host = host }
            if let port { request.port = port }
            if let security { request.security = try parseSecurity(security) }
            if let senderName { request.senderName = senderName }
            if let senderAddress { request.senderAddress = senderAddress }
            if let authType { request.authType = try parseAuthType(authType) }
            if let username { request.username = username }
            if self.allowPlaintextAuth { request.allowPlaintextAuth = true }
            if let provider { request.oauth.provider = try parseProvider(provider) }
            if let discoverSecretExpiry { request.discoverSecretExpiry = discoverSecretExpiry }
            if let flow { request.oauth.flow = try parseFlow(flow) }
            if let clientID { request.oauth.clientID = clientID }
            if let directoryID { request.oauth.directoryID = directoryID }
            if let authorizationURL { request.oauth.authorizationURL = authorizationURL }
            if let tokenURL { request.oauth.tokenURL = tokenURL }
            if !self.scopes.isEmpty { request.oauth.scopes = self.scopes }
            if let clientSecretExpires { request.clientSecretExpiresAt = try parseExpiry(clientSecretExpires) }
            if let rateLimit { request.rateLimitPerMinute = rateLimit }
            if let maxConnections { request.maxConnections = maxConnections }
            if let dailyRecipientLimit { request.dailyRecipientLimit = dailyRecipientLimit }
            if let uncertainPolicy { request.uncertainPolicy = try parseUncertainPolicy(uncertainPolicy) }
            if self.default { request.isDefault = true }
            if let expectedVersion { request.expectedVersion = expectedVersion }
            for (file, clear, name) in [
                (self.passwordFile, self.clearPassword, "password"),
                (self.clientSecretFile, self.clearClientSecret, "client-secret"),
                (self.refreshTokenFile, self.clearRefreshToken, "refresh-token"),
            ] where file != nil && clear {
                throw CLIError("--\(name)-file and --clear-\(name) contradict each other: give one.")
            }
            if [self.passwordFile, self.clientSecretFile, self.refreshTokenFile].filter({ $0 == "-" }).count > 1 {
                throw CLIError("Only one secret can come from standard input.")
            }
            if let passwordFile { request.password.value = try readSecret(from: passwordFile, name: "password") }
            if let clientSecretFile {
                request.clientSecret.value = try readSecret(from: clientSecretFile, name: "client secret")
            }
            if let refreshTokenFile {
                request.refreshToken.value = try readSecret(from: refreshTokenFile, name: "refresh token")
            }
            if self.clearPassword { request.password.clear = true }
            if self.clearClientSecret { request.clientSecret.clear = true }
            if self.clearRefreshToken { request.refreshToken.clear = true }
            return request
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a server (secrets only as set or not).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name; empty = the tenant's default server.") var server: String = ""

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_GetServerRequest()
                request.server = self.server
                let server = try await self.client.withClient { try await $0.getServer(request) }
                printServer(server, format: self.client.format)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's servers.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClientCall {
                let servers = try await self.client.withClient { client in
                    var all: [Mailgate_V1_OutputServer] = []
                    var request = Mailgate_V1_ListServersRequest()
                    request.pageSize = 500
                    repeat {
                        let page = try await client.listServers(request)
                        all += page.servers
                        request.pageToken = page.nextPageToken
                    } while !request.pageToken.isEmpty
                    return all
                }
                printTable(
                    [
                        "name", "host", "port", "security", "auth", "sender", "default", "version", "secret_expires",
                        "last_validation", "delivery",
                    ],
                    servers.map { server in
                        [
                            server.name, server.host, String(server.port), name(server.security), name(server.authType),
                            server.senderAddress, server.isDefault ? "yes" : "", String(server.version),
                            server.clientSecret.hasExpiresAt ? formatDate(server.clientSecret.expiresAt.date) : "-",
                            server.hasLastValidatedAt ? server.lastValidation : "-",
                            server.hasDeliveryBlock
                                ? "blocked: \(server.deliveryBlock.reason)"
                                : server.hasPausedUntil ? "paused until \(formatDate(server.pausedUntil.date))" : "ok",
                        ]
                    },
                    format: self.client.format
                )
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a server.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name.") var server: String
        @Option(help: "Only delete if the server is at this version.") var expectedVersion: UInt64?

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_DeleteServerRequest()
                request.server = self.server
                if let expectedVersion { request.expectedVersion = expectedVersion }
                _ = try await self.client.withClient { try await $0.deleteServer(request) }
                printRecord(["deleted": self.server], format: self.client.format)
            }
        }
    }
}

func name(_ security: Mailgate_V1_Security) -> String {
    switch security {
    case .none: "none"
    case .starttls: "starttls"
    case .tls: "tls"
    case .opportunistic: "opportunistic"
    default: "-"
    }
}

func name(_ auth: Mailgate_V1_AuthType) -> String {
    switch auth {
    case .none: "none"
    case .basic: "basic"
    case .oauth2: "oauth2"
    default: "-"
    }
}

func printServer(_ server: Mailgate_V1_OutputServer, format: OutputFormat) {
    func secret(_ state: Mailgate_V1_SecretState) -> String {
        guard state.isSet else { return "not set" }
        var text = "set " + formatDate(state.setAt.date)
        if state.hasExpiresAt {
            text += ", expires \(formatDate(state.expiresAt.date))"
            if state.expirySource == .estimated { text += " (estimated)" }
        }
        return text
    }
    printRecord(
        [
            "id": server.id, "name": server.name, "host": server.host, "port": String(server.port),
            "security": name(server.security), "sender": "\(server.senderName) <\(server.senderAddress)>",
            "auth_type": name(server.authType), "username": server.username,
            "password": secret(server.password),
            "oauth_provider": server.hasOauth ? name(server.oauth.provider) : "-",
            "oauth_flow": server.hasOauth ? name(server.oauth.flow) : "-",
            "client_id": server.oauth.clientID, "token_url": server.oauth.tokenURL,
            "scopes": server.oauth.scopes.joined(separator: " "),
            "client_secret": server.hasClientSecret ? secret(server.clientSecret) : "-",
            "refresh_token": server.hasRefreshToken ? secret(server.refreshToken) : "-",
            "access_token": server.hasAccessToken ? secret(server.accessToken) : "-",
            "token_problem": server.tokenFailureReason.isEmpty
                ? "-" : "\(server.tokenFailureReason): \(server.tokenFailureDetail)",
            "rate_limit_per_minute": String(server.rateLimitPerMinute),
            "max_connections": String(server.maxConnections),
            "daily_recipient_limit": String(server.dailyRecipientLimit),
            "uncertain_policy": server.uncertainPolicy == .fail ? "fail" : "retry",
            "default": server.isDefault ? "yes" : "no",
            "last_validation": server.hasLastValidatedAt
                ? "\(server.lastValidation) at \(formatDate(server.lastValidatedAt.date))" : "never",
            "version": String(server.version), "updated_at": formatDate(server.updatedAt.date),
            "delivery": deliveryState(of: server),
        ],
        format: format
    )
}

/// Whether the server takes mail, and if not why its mail waits and until when.
func deliveryState(of server: Mailgate_V1_OutputServer) -> String {
    if server.hasDeliveryBlock {
        let block = server.deliveryBlock
        return
            "blocked since \(formatDate(block.since.date)) (\(block.reason)): \(block.detail). \(block.remedy) Mail waits; next attempt "
            + (block.nextProbeAt.date > Date() ? formatDate(block.nextProbeAt.date) : "as soon as mail is due") + "."
    }
    if server.hasPausedUntil {
        return "paused until \(formatDate(server.pausedUntil.date)); mail waits: \(server.pauseReason)"
    }
    return "ok"
}

import ArgumentParser
import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import SwiftProtobuf

extension ServerCommand {
    struct Authorize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Consent for an authorization-code OAuth server (\"Get refresh token\").",
            discussion: """
                Prints the provider's sign-in URL; open it in a browser signed in as the sender
                mailbox. The provider sends the browser back to Mailgate's ops port
                (/oauth/callback), which stores the refresh token; this command waits for that
                and reports the result. If the browser cannot reach the ops port, paste the
                address it ended at (or just the code) here and press Enter.
                """
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name of the server.") var server: String
        @Option(help: "Redirect URI registered with the provider (default: the ops port's /oauth/callback).")
        var redirectURI: String?
        @Flag(help: "Print the URL and state, and return without waiting.") var noWait = false

        func run() async throws {
            try await runClientCall {
                try await self.client.withClient { client in
                    var get = Mailgate_V1_GetServerRequest()
                    get.server = self.server
                    let before = try await client.getServer(get)
                    var begin = Mailgate_V1_BeginAuthorizationRequest()
                    begin.server = self.server
                    begin.redirectUri = self.redirectURI ?? ""
                    let newestEvents = try await Self.newestConsentEvents(server: before, client: client)
                    let started = try await client.beginAuthorization(begin)
                    if self.noWait || self.client.format == .json {
                        printRecord(
                            [
                                "authorization_url": started.authorizationURL, "state": started.state,
                                "expires_at": formatDate(started.expiresAt.date),
                            ],
                            format: self.client.format
                        )
                        if self.noWait { return }
                    } else {
                        print(
                            "Open this URL in a browser signed in as \(before.username.isEmpty ? before.senderAddress : before.username):\n"
                        )
                        print("  \(started.authorizationURL)\n")
                        print(
                            "It works once, until \(formatDate(started.expiresAt.date)). Waiting for the provider to send the browser back…"
                        )
                        print(
                            "(If the browser cannot reach Mailgate, paste the address it ended at, or the code, and press Enter.)"
                        )
                    }
                    // Scripts reading the URL from a pipe need it now, not when the command ends.
                    fflush(nil)
                    let outcome = try await Self.wait(
                        for: started,
                        server: before,
                        newestEvents: newestEvents,
                        client: client
                    )
                    switch outcome {
                    case .connected(let server):
                        printRecord(
                            [
                                "result": "connected", "server": server.name,
                                "refresh_token": "stored " + formatDate(server.refreshToken.setAt.date),
                            ],
                            format: self.client.format
                        )
                    case .failed(let reason, let message):
                        throw CLIError("consent failed (\(reason)): \(message)")
                    case .expired:
                        throw CLIError("the consent link expired before the browser came back; run the command again")
                    }
                }
            }
        }

        enum Outcome: Sendable {
            case connected(Mailgate_V1_OutputServer)
            case failed(reason: String, message: String)
            case expired
        }

        /// Watches the server's consent events until one newer than the start says it
        /// completed or failed, the operator pastes the code, or the state expires.
        static func wait(
            for started: Mailgate_V1_BeginAuthorizationResponse,
            server: Mailgate_V1_OutputServer,
            newestEvents: [String: String],
            client: MailgateClient
        ) async throws -> Outcome {
            let pasted = PastedLine()
            return try await withThrowingTaskGroup(of: Outcome?.self) { group in
                group.addTask {
                    try await Self.poll(started: started, server: server, newestEvents: newestEvents, client: client)
                }
                group.addTask {
                    guard let line = await pasted.next() else { return nil }
                    guard let code = AuthorizationRequest.code(pasted: line, state: started.state) else {
                        return .failed(reason: "CODE_MISSING", message: "the pasted text has no code for this consent")
                    }
                    var complete = Mailgate_V1_CompleteAuthorizationRequest()
                    complete.state = started.state
                    complete.code = code
                    do {
                        return .connected(try await client.completeAuthorization(complete).server)
                    } catch let error as RPCError {
                        return .failed(reason: error.reason, message: error.message)
                    }
                }
                while let outcome = try await group.next() {
                    if let outcome {
                        group.cancelAll()
                        return outcome
                    }
                }
                return .expired
            }
        }

        static let consentKinds = ["oauth_consent_completed", "oauth_consent_failed"]

        /// The newest event of `kind` about the server.
        static func newestEvent(_ kind: String, server: Mailgate_V1_OutputServer, client: MailgateClient) async throws
            -> Mailgate_V1_Event?
        {
            var request = Mailgate_V1_ListEventsRequest()
            request.server = server.id
            request.kind = kind
            request.pageSize = 1
            return try await client.listEvents(request).events.first
        }

        /// The id of the newest consent event of each kind for the server, before the consent begins.
        static func newestConsentEvents(server: Mailgate_V1_OutputServer, client: MailgateClient) async throws
            -> [String: String]
        {
            var newest: [String: String] = [:]
            for kind in Self.consentKinds {
                newest[kind] = try await Self.newestEvent(kind, server: server, client: client)?.id ?? ""
            }
            return newest
        }

        static func poll(
            started: Mailgate_V1_BeginAuthorizationResponse,
            server: Mailgate_V1_OutputServer,
            newestEvents: [String: String],
            client: MailgateClient
        ) async throws -> Outcome {
            while Date() < started.expiresAt.date.addingTimeInterval(5) {
                try await Task.sleep(for: .seconds(1))
                for kind in Self.consentKinds {
                    guard let event = try await Self.newestEvent(kind, server: server, client: client),
                        event.id != newestEvents[kind]
                    else { continue }
                    if kind == "oauth_consent_failed" {
                        return .failed(reason: event.details["reason"] ?? "", message: event.message)
                    }
                    var get = Mailgate_V1_GetServerRequest()
                    get.server = server.id
                    return .connected(try await client.getServer(get))
                }
            }
            return .expired
        }
    }

    struct RefreshToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "refresh-token",
            abstract: "Get a new OAuth access token now, bypassing the cache, and print the outcome (never the token)."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name of the server.") var server: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_RefreshTokenRequest()
                request.server = self.server
                let response = try await self.client.withClient { try await $0.refreshToken(request) }
                printRecord(
                    [
                        "access_token_expires_at": formatDate(response.accessTokenExpiresAt.date),
                        "scopes": response.scopes.joined(separator: " "),
                        "refresh_token_rotated": response.refreshTokenRotated ? "yes (the new one is stored)" : "no",
                        "provider": name(response.provider),
                        "flow": name(response.flow),
                    ],
                    format: self.client.format
                )
            }
        }
    }
}

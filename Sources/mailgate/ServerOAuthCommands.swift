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
        @Option(help: "Redirect URI registered with the provider (default: the ops port's /oauth/callback).") var redirectURI: String?
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
                    let started = try await client.beginAuthorization(begin)
                    if self.noWait || self.client.format == .json {
                        printRecord(
                            ["authorization_url": started.authorizationURL, "state": started.state, "expires_at": formatDate(started.expiresAt.date)],
                            format: self.client.format
                        )
                        if self.noWait { return }
                    } else {
                        print("Open this URL in a browser signed in as \(before.username.isEmpty ? before.senderAddress : before.username):\n")
                        print("  \(started.authorizationURL)\n")
                        print("It works once, until \(formatDate(started.expiresAt.date)). Waiting for the provider to send the browser back…")
                        print("(If the browser cannot reach Mailgate, paste the address it ended at, or the code, and press Enter.)")
                    }
                    // Scripts reading the URL from a pipe need it now, not when the command ends.
                    fflush(nil)
                    let outcome = try await Self.wait(for: started, server: before, client: client)
                    switch outcome {
                    case .connected(let server):
                        printRecord(
                            ["result": "connected", "server": server.name, "refresh_token": "stored " + formatDate(server.refreshToken.setAt.date)],
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

        /// Watches the server (and its consent events) until the refresh token changes, a
        /// consent failure is reported, the operator pastes the code, or the state expires.
        static func wait(
            for started: Mailgate_V1_BeginAuthorizationResponse,
            server before: Mailgate_V1_OutputServer,
            client: MailgateClient
        ) async throws -> Outcome {
            try await withThrowingTaskGroup(of: Outcome?.self) { group in
                group.addTask {
                    try await Self.poll(started: started, before: before, client: client)
                }
                group.addTask {
                    guard let pasted = await Self.readPastedLine() else { return nil }
                    guard let code = AuthorizationRequest.code(pasted: pasted, state: started.state) else {
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

        static func poll(started: Mailgate_V1_BeginAuthorizationResponse, before: Mailgate_V1_OutputServer, client: MailgateClient) async throws -> Outcome {
            var get = Mailgate_V1_GetServerRequest()
            get.server = before.id
            var events = Mailgate_V1_ListEventsRequest()
            events.server = before.id
            events.kind = "oauth_consent_failed"
            events.pageSize = 1
            let newestFailure = try await client.listEvents(events).events.first?.id
            while Date() < started.expiresAt.date.addingTimeInterval(5) {
                try await Task.sleep(for: .seconds(1))
                let server = try await client.getServer(get)
                if server.refreshToken.isSet, server.refreshToken.setAt != before.refreshToken.setAt {
                    return .connected(server)
                }
                if let failure = try await client.listEvents(events).events.first, failure.id != newestFailure {
                    return .failed(reason: failure.details["reason"] ?? "", message: failure.message)
                }
            }
            return .expired
        }

        /// One line from a terminal; nil when standard input is not one (nothing to paste).
        static func readPastedLine() async -> String? {
            guard isatty(STDIN_FILENO) == 1 else { return nil }
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces))
                }
            }
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
                        "provider": "\(response.provider)",
                        "flow": "\(response.flow)",
                    ],
                    format: self.client.format
                )
            }
        }
    }
}

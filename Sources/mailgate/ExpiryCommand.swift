import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import SwiftProtobuf

struct ExpiryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expiry",
        abstract: "OAuth client secrets that expire soon.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The alert job: print what expires within the window, and say so in the exit status.",
            discussion: """
                Exit status: 0 nothing expires within the window, 1 something does, 2 something
                has already expired, 3 the check could not be made. Operator keys see every
                tenant (or --tenant's); tenant keys their own. A Kubernetes CronJob running it
                daily is in deploy/kubernetes/expiry-check-cronjob.yaml.
                """
        )
        @OptionGroup var client: ClientOptions
        @Option(help: "How far ahead: 30d, 12h, 90m or seconds.") var within = "30d"

        func run() async throws {
            guard let seconds = Self.seconds(self.within) else {
                FileHandle.standardError.write(Data("error: --within must look like 30d, 12h, 90m or 3600\n".utf8))
                throw ExitCode(3)
            }
            let response: Mailgate_V1_ListExpiringSecretsResponse
            do {
                var request = Mailgate_V1_ListExpiringSecretsRequest()
                request.withinSeconds = seconds
                request.tenant = self.client.tenant ?? ""
                response = try await self.client.withClient { try await $0.listExpiringSecrets(request) }
            } catch {
                let text = (error as? RPCError).map { "\($0.code) (\($0.code.rawValue)): \($0.message)" } ?? "\(error)"
                FileHandle.standardError.write(Data("error: could not check: \(text)\n".utf8))
                throw ExitCode(3)
            }
            let now = Date()
            let secrets = response.secrets
            switch self.client.format {
            case .json:
                let rows: [[String: Any]] = secrets.map { secret in
                    [
                        "tenant": secret.tenantSlug, "tenant_id": secret.tenantID, "server": secret.serverName,
                        "server_id": secret.serverID, "provider": name(secret.provider), "client_id": secret.clientID,
                        "expires_at": secret.expiresAt.date.formatted(.iso8601), "source": name(secret.source),
                        "days_left": secret.daysLeft, "expired": secret.expiresAt.date <= now,
                        "last_warning": secret.lastWarning.isEmpty ? NSNull() : secret.lastWarning as Any,
                    ]
                }
                let document: [String: Any] = [
                    "checked_at": now.formatted(.iso8601), "within_seconds": seconds,
                    "expired": secrets.filter { $0.expiresAt.date <= now }.count,
                    "expiring": secrets.filter { $0.expiresAt.date > now }.count,
                    "secrets": rows,
                ]
                let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            case .table:
                if secrets.isEmpty {
                    print("No client secret expires within \(self.within).")
                } else {
                    printTable(
                        [
                            "tenant", "server", "provider", "client_id", "expires", "days_left", "source",
                            "last_warning",
                        ],
                        secrets.map { secret in
                            [
                                secret.tenantSlug, secret.serverName, name(secret.provider), secret.clientID,
                                secret.expiresAt.date <= now
                                    ? "EXPIRED \(formatDate(secret.expiresAt.date))"
                                    : formatDate(secret.expiresAt.date),
                                String(secret.daysLeft), name(secret.source),
                                secret.lastWarning.isEmpty ? "-" : secret.lastWarning,
                            ]
                        },
                        format: .table
                    )
                }
            }
            if secrets.contains(where: { $0.expiresAt.date <= now }) { throw ExitCode(2) }
            if !secrets.isEmpty { throw ExitCode(1) }
        }

        /// "30d", "12h", "90m", "45s" or plain seconds.
        static func seconds(_ text: String) -> UInt64? {
            let units: [Character: UInt64] = ["d": 86400, "h": 3600, "m": 60, "s": 1]
            if let last = text.last, let unit = units[last], let value = UInt64(text.dropLast()) {
                let (seconds, overflow) = value.multipliedReportingOverflow(by: unit)
                return overflow ? nil : seconds
            }
            return UInt64(text)
        }
    }
}

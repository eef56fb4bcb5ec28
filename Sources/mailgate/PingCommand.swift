import ArgumentParser
import MailgateClient
import MailgateProto
import Foundation

struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Check that a server answers (Health/Check; needs no API key).",
        discussion: "Exit status: 0 serving, 2 on an error status, 1 when the server cannot be reached."
    )

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClientCall {
            let client = try self.client.makeClient()
            let start = ContinuousClock.now
            let response = try await client.check()
            let elapsed = ContinuousClock.now - start
            await client.close()
            printRecord(
                [
                    "status": "\(response.status)".uppercased(),
                    "version": response.serverVersion,
                    "round_trip_ms": String(
                        format: "%.2f",
                        Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                    ),
                ],
                format: self.client.format
            )
        }
    }
}

struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show which key the server sees (Health/WhoAmI)."
    )

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClientCall {
            let client = try self.client.makeClient()
            let response = try await client.whoAmI()
            await client.close()
            printRecord(
                ["key_id": response.keyID, "scope": response.scope, "tenant": response.tenantSlug],
                format: self.client.format
            )
        }
    }
}

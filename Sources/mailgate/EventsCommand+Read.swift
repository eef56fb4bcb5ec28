import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto

extension EventsCommand {
    /// `mailgate events read ID… | --all`.
    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read",
            abstract: "Mark events of the tenant's notification panel read (tenant keys: their own tenant's)."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "Event ids, as `mailgate events` shows them.") var ids: [String] = []
        @Flag(help: "Mark every unread event of the tenant read.") var all = false

        func validate() throws {
            if self.all != self.ids.isEmpty {
                throw ValidationError("Name event ids or pass --all (not both).")
            }
        }

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_MarkEventsReadRequest()
                request.eventIds = self.ids
                request.all = self.all
                let response = try await self.client.withClient { client in
                    try await client.markEventsRead(request)
                }
                printRecord(
                    ["marked": "\(response.marked)", "unread": "\(response.unreadCount)"],
                    format: self.client.format
                )
            }
        }
    }
}

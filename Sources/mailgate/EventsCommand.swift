import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto
import SwiftProtobuf

/// `mailgate events`: the notification panel; `mailgate events read` marks it read.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Show the tenant's notification panel, or mark its events read.",
        subcommands: [List.self, Read.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract:
                "Show the tenant's notification panel, newest first (operators without --tenant: every tenant)."
        )
        @OptionGroup var client: ClientOptions
        @Option(help: "Only events about this server (id or name).") var server: String?
        @Option(help: "Only this kind, e.g. server_updated.") var kind: String?
        @Option(help: "Minimum severity: info, warning, error or critical.") var minSeverity: String?
        @Flag(help: "Only events not marked read yet.") var unread = false
        @Option(help: "How many events to show.") var limit: Int = 50

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_ListEventsRequest()
                request.server = self.server ?? ""
                request.kind = self.kind ?? ""
                request.unreadOnly = self.unread
                switch self.minSeverity?.lowercased() {
                case nil, "info": break
                case "warning": request.minSeverity = .warning
                case "error": request.minSeverity = .error
                case "critical": request.minSeverity = .critical
                case let other?: throw CLIError("Unknown severity \(other): use info, warning, error or critical.")
                }
                let (events, unreadCount) = try await self.client.withClient { client in
                    var all: [Mailgate_V1_Event] = []
                    var unreadCount: UInt32 = 0
                    repeat {
                        request.pageSize = UInt32(min(500, max(1, self.limit - all.count)))
                        let page = try await client.listEvents(request)
                        all += page.events
                        unreadCount = page.unreadCount
                        request.pageToken = page.nextPageToken
                    } while !request.pageToken.isEmpty && all.count < self.limit
                    return (all, unreadCount)
                }
                printTable(
                    ["id", "time", "severity", "kind", "message", "actor", "read"],
                    events.map { event in
                        [
                            event.id, formatDate(event.createdAt.date), "\(event.severity)", event.kind, event.message,
                            event.actor.isEmpty ? "-" : event.actor,
                            event.hasReadAt ? "\(formatDate(event.readAt.date)) by \(event.readBy)" : "unread",
                        ]
                    },
                    format: self.client.format
                )
                if self.client.format == .table {
                    print("\(unreadCount) unread")
                }
            }
        }
    }
}

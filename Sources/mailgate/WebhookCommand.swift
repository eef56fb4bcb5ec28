import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto
import SwiftProtobuf

/// `mailgate webhook`: a tenant's webhook subscriptions and their deliveries.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Manage webhook subscriptions: the tenant's events POSTed, signed, to a URL.",
        subcommands: [Put.self, List.self, Delete.self, RotateSecret.self, Deliveries.self, Test.self],
        defaultSubcommand: List.self
    )

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a subscription (its signing secret is printed once) or replace one by name."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "The subscription's name, unique in the tenant.") var name: String
        @Option(help: "Where to POST events: https (http only to an allowed loopback address).") var url: String
        @Option(name: .customLong("kind"), help: "An event kind to deliver; repeat for more (none: every kind).")
        var kinds: [String] = []
        @Option(help: "Minimum severity: info, warning, error or critical.") var minSeverity: String?
        @Flag(help: "Store it disabled: no deliveries are queued for it.") var disabled = false

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_PutWebhookSubscriptionRequest()
                request.name = self.name
                request.url = self.url
                request.kinds = self.kinds
                request.minSeverity = try severity(self.minSeverity)
                request.disabled = self.disabled
                let response = try await self.client.withClient { try await $0.putWebhookSubscription(request) }
                let subscription = response.subscription
                printRecord(
                    [
                        "id": subscription.id, "name": subscription.name, "url": subscription.url,
                        "created": response.created ? "true" : "false", "secret": response.secret,
                    ],
                    format: self.client.format
                )
                if self.client.format == .table && response.created {
                    FileHandle.standardError.write(
                        Data("Store the signing secret now: Mailgate cannot show it again.\n".utf8)
                    )
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's subscriptions (never secrets).")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClientCall {
                let response = try await self.client.withClient {
                    try await $0.listWebhookSubscriptions(Mailgate_V1_ListWebhookSubscriptionsRequest())
                }
                printTable(
                    ["id", "name", "url", "kinds", "min_severity", "enabled", "secret_created"],
                    response.subscriptions.map { subscription in
                        [
                            subscription.id, subscription.name, subscription.url,
                            subscription.kinds.isEmpty ? "all" : subscription.kinds.joined(separator: ","),
                            severityName(subscription.minSeverity), subscription.enabled ? "true" : "false",
                            formatDate(subscription.secretCreatedAt.date),
                        ]
                    },
                    format: self.client.format
                )
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a subscription and its deliveries.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name.") var subscription: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_DeleteWebhookSubscriptionRequest()
                request.subscription = self.subscription
                _ = try await self.client.withClient { try await $0.deleteWebhookSubscription(request) }
                printRecord(["deleted": self.subscription], format: self.client.format)
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Replace a subscription's signing secret; the new one is printed once."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name.") var subscription: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_RotateWebhookSecretRequest()
                request.subscription = self.subscription
                let response = try await self.client.withClient { try await $0.rotateWebhookSecret(request) }
                printRecord(
                    ["id": response.subscription.id, "name": response.subscription.name, "secret": response.secret],
                    format: self.client.format
                )
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a subscription's deliveries, newest first, with their last attempt."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name.") var subscription: String
        @Option(help: "How many deliveries to show.") var limit: Int = 50

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_ListWebhookDeliveriesRequest()
                request.subscription = self.subscription
                let deliveries = try await self.client.withClient { client in
                    var all: [Mailgate_V1_WebhookDelivery] = []
                    repeat {
                        request.pageSize = UInt32(min(500, max(1, self.limit - all.count)))
                        let page = try await client.listWebhookDeliveries(request)
                        all += page.deliveries
                        request.pageToken = page.nextPageToken
                    } while !request.pageToken.isEmpty && all.count < self.limit
                    return all
                }
                printTable(
                    [
                        "id", "created", "event", "kind", "state", "attempts", "last_status", "last_error",
                        "next_attempt",
                    ],
                    deliveries.map { delivery in
                        [
                            delivery.id, formatDate(delivery.createdAt.date), delivery.eventID, delivery.eventKind,
                            deliveryStateName(delivery.state), String(delivery.attempts),
                            delivery.attemptLog.first.map { $0.status == 0 ? "-" : String($0.status) } ?? "-",
                            delivery.lastError.isEmpty ? "-" : delivery.lastError,
                            delivery.state == .pending ? formatDate(delivery.nextAttemptAt.date) : "-",
                        ]
                    },
                    format: self.client.format
                )
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a webhook_test event to one subscription, whatever its kinds and severity."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name.") var subscription: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_SendWebhookTestEventRequest()
                request.subscription = self.subscription
                let response = try await self.client.withClient { try await $0.sendWebhookTestEvent(request) }
                printRecord(
                    ["event_id": response.eventID, "delivery_id": response.deliveryID],
                    format: self.client.format
                )
            }
        }
    }
}

/// The severity a `--min-severity` names (none: every severity).
private func severity(_ text: String?) throws -> Mailgate_V1_Severity {
    switch text?.lowercased() {
    case nil, "info": .info
    case "warning": .warning
    case "error": .error
    case "critical": .critical
    case let other?: throw CLIError("Unknown severity \(other): use info, warning, error or critical.")
    }
}

private func severityName(_ severity: Mailgate_V1_Severity) -> String {
    switch severity {
    case .warning: "warning"
    case .error: "error"
    case .critical: "critical"
    default: "info"
    }
}

private func deliveryStateName(_ state: Mailgate_V1_WebhookDeliveryState) -> String {
    switch state {
    case .pending: "pending"
    case .sending: "sending"
    case .delivered: "delivered"
    case .failed: "failed"
    default: "-"
    }
}

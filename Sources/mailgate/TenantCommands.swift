import ArgumentParser
import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import SwiftProtobuf

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create, read, list and update tenants (operator key).",
        subcommands: [Create.self, Get.self, List.self, Update.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Slug: 3-63 lowercase letters, digits and hyphens.") var slug: String
        @Option(help: "Display name (default: the slug).") var name: String?
        @Option(name: .customLong("alert-contact"), help: "Address warned about expiring secrets; repeat for more.")
        var alertContacts: [String] = []

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_CreateTenantRequest()
                request.slug = self.slug
                request.displayName = self.name ?? self.slug
                request.alertContacts = self.alertContacts
                let tenant = try await self.client.withClient { try await $0.createTenant(request) }
                printTenant(tenant, format: self.client.format)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tenant (tenant keys: their own).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or slug; empty = the key's own tenant.") var tenant: String = ""

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_GetTenantRequest()
                request.tenant = self.tenant
                let tenant = try await self.client.withClient { try await $0.getTenant(request) }
                printTenant(tenant, format: self.client.format)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every tenant.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClientCall {
                let tenants = try await self.client.withClient { client in
                    var all: [Mailgate_V1_Tenant] = []
                    var request = Mailgate_V1_ListTenantsRequest()
                    request.pageSize = 500
                    repeat {
                        let page = try await client.listTenants(request)
                        all += page.tenants
                        request.pageToken = page.nextPageToken
                    } while !request.pageToken.isEmpty
                    return all
                }
                printTable(
                    ["id", "slug", "display_name", "status", "alert_contacts"],
                    tenants.map {
                        [
                            $0.id, $0.slug, $0.displayName, statusName($0.status),
                            $0.alertContacts.joined(separator: ","),
                        ]
                    },
                    format: self.client.format
                )
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a tenant's name, status or alert contacts.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or slug.") var tenant: String
        @Option(help: "New display name.") var name: String?
        @Option(help: "active or disabled (disabled: its keys are refused, queued mail stays queued).") var status:
            String?
        @Option(name: .customLong("alert-contact"), help: "Replaces the alert contacts; repeat for more.")
        var alertContacts: [String] = []
        @Flag(help: "Remove every alert contact.") var clearAlertContacts = false
        @Option(help: "Days before a client secret expires to warn at, like 30,7,1; \"default\" for the service's.")
        var expiryWarningDays: String?

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_UpdateTenantRequest()
                request.tenant = self.tenant
                if let name = self.name { request.displayName = name }
                switch self.status {
                case nil: break
                case "active": request.status = .active
                case "disabled": request.status = .disabled
                case let other?: throw CLIError("Unknown status \(other): use active or disabled.")
                }
                if self.clearAlertContacts || !self.alertContacts.isEmpty {
                    request.updateAlertContacts = true
                    request.alertContacts = self.alertContacts
                }
                if let text = self.expiryWarningDays {
                    request.updateExpiryWarningDays = true
                    if text != "default" {
                        guard let days = ExpiryWarnings.parse(text) else {
                            throw CLIError("--expiry-warning-days takes days like 30,7,1, or default.")
                        }
                        request.expiryWarningDays = days.map { UInt32($0) }
                    }
                }
                let tenant = try await self.client.withClient { try await $0.updateTenant(request) }
                printTenant(tenant, format: self.client.format)
            }
        }
    }
}

func statusName(_ status: Mailgate_V1_TenantStatus) -> String {
    switch status {
    case .active: "active"
    case .disabled: "disabled"
    default: "unknown"
    }
}

func printTenant(_ tenant: Mailgate_V1_Tenant, format: OutputFormat) {
    printRecord(
        [
            "id": tenant.id, "slug": tenant.slug, "display_name": tenant.displayName,
            "status": statusName(tenant.status), "alert_contacts": tenant.alertContacts.joined(separator: ","),
            "expiry_warning_days": tenant.expiryWarningDays.isEmpty
                ? "default" : tenant.expiryWarningDays.map(String.init).joined(separator: ","),
            "created_at": formatDate(tenant.createdAt.date),
        ],
        format: format
    )
}

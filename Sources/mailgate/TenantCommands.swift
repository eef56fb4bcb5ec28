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
        static let configuration = CommandConfiguration(
            abstract: "Change a tenant's name, status, alert contacts, delivery weight or quotas."
        )
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
        @Option(help: "Share of delivery against other tenants with mail waiting, 1-100 (default 1).")
        var deliveryWeight: UInt32?
        @Option(help: "Quota: messages queued at once; 0 = unlimited, \"default\" for the service's.")
        var quotaQueuedMessages: String?
        @Option(help: "Quota: bytes of mail queued at once; 0 = unlimited, \"default\" for the service's.")
        var quotaQueuedBytes: String?
        @Option(help: "Quota: SendMail calls a minute across replicas; 0 = unlimited, \"default\" for the service's.")
        var quotaSendsPerMinute: String?
        @Option(help: "Quota: how far ahead not_before may be, seconds; \"default\" for the service's.")
        var quotaScheduleAheadSeconds: String?
        @Option(help: "Quota: ValidateServer calls a minute; 0 = unlimited, \"default\" for the service's.")
        var quotaValidationsPerMinute: String?
        @Option(help: "Quota: RefreshToken calls a minute; 0 = unlimited, \"default\" for the service's.")
        var quotaTokenRefreshesPerMinute: String?

        /// The quota options given, each a number or "default" (nil: not given).
        var quotaOptions: [(name: String, value: String?)] {
            [
                ("queued-messages", self.quotaQueuedMessages), ("queued-bytes", self.quotaQueuedBytes),
                ("sends-per-minute", self.quotaSendsPerMinute),
                ("schedule-ahead-seconds", self.quotaScheduleAheadSeconds),
                ("validations-per-minute", self.quotaValidationsPerMinute),
                ("token-refreshes-per-minute", self.quotaTokenRefreshesPerMinute),
            ]
        }

        /// The tenant's own quotas with the options applied.
        func changedQuotas(_ current: Mailgate_V1_TenantQuotas) throws -> Mailgate_V1_TenantQuotas {
            var quotas = current
            for (name, value) in self.quotaOptions {
                guard let value else { continue }
                let number: UInt64?
                if value == "default" {
                    number = nil
                } else if let parsed = UInt64(value) {
                    number = parsed
                } else {
                    throw CLIError("--quota-\(name) takes a whole number (0 = unlimited) or default.")
                }
                switch name {
                case "queued-messages":
                    if let number { quotas.queuedMessages = number } else { quotas.clearQueuedMessages() }
                case "queued-bytes":
                    if let number { quotas.queuedBytes = number } else { quotas.clearQueuedBytes() }
                case "sends-per-minute":
                    if let number {
                        quotas.sendsPerMinute = UInt32(clamping: number)
                    } else {
                        quotas.clearSendsPerMinute()
                    }
                case "validations-per-minute":
                    if let number {
                        quotas.validationsPerMinute = UInt32(clamping: number)
                    } else {
                        quotas.clearValidationsPerMinute()
                    }
                case "token-refreshes-per-minute":
                    if let number {
                        quotas.tokenRefreshesPerMinute = UInt32(clamping: number)
                    } else {
                        quotas.clearTokenRefreshesPerMinute()
                    }
                default:
                    if let number {
                        quotas.scheduleAheadSeconds = UInt32(clamping: number)
                    } else {
                        quotas.clearScheduleAheadSeconds()
                    }
                }
            }
            return quotas
        }

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
                if let weight = self.deliveryWeight { request.deliveryWeight = weight }
                let quotasGiven = self.quotaOptions.contains { $0.value != nil }
                let tenant = try await self.client.withClient { client in
                    if quotasGiven {
                        // The request replaces the tenant's own quotas whole: start from them.
                        var get = Mailgate_V1_GetTenantRequest()
                        get.tenant = self.tenant
                        request.quotas = try self.changedQuotas(try await client.getTenant(get).quotaOverrides)
                        request.updateQuotas = true
                    }
                    return try await client.updateTenant(request)
                }
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
            "delivery_weight": String(tenant.deliveryWeight),
            "quota_queued_messages": quotaText(tenant.quotas.queuedMessages, used: tenant.usage.queuedMessages, tenant),
            "quota_queued_bytes": quotaText(tenant.quotas.queuedBytes, used: tenant.usage.queuedBytes, tenant),
            "quota_sends_per_minute": quotaText(
                UInt64(tenant.quotas.sendsPerMinute),
                used: UInt64(tenant.usage.sendsThisMinute),
                tenant
            ),
            "quota_schedule_ahead_seconds": tenant.quotas.scheduleAheadSeconds == 0
                ? "unlimited" : String(tenant.quotas.scheduleAheadSeconds),
            "quota_validations_per_minute": quotaText(
                UInt64(tenant.quotas.validationsPerMinute),
                used: UInt64(tenant.usage.validationsThisMinute),
                tenant
            ),
            "quota_token_refreshes_per_minute": quotaText(
                UInt64(tenant.quotas.tokenRefreshesPerMinute),
                used: UInt64(tenant.usage.tokenRefreshesThisMinute),
                tenant
            ),
        ],
        format: format
    )
}

/// "1000 (used 12)", "unlimited (used 12)"; the usage only when GetTenant gave it.
private func quotaText(_ quota: UInt64, used: UInt64, _ tenant: Mailgate_V1_Tenant) -> String {
    let limit = quota == 0 ? "unlimited" : String(quota)
    return tenant.hasUsage ? "\(limit) (used \(used))" : limit
}

import ArgumentParser
import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateStore
import SwiftProtobuf

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create, revoke and list API keys.",
        subcommands: [Create.self, Revoke.self, List.self, CreateOperator.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant key (--tenant) or an operator key (--operator); the key is printed once."
        )
        @OptionGroup var client: ClientOptions
        @Flag(help: "Make a platform-wide operator key instead of a tenant key.") var `operator` = false
        @Option(help: "What the key is for.") var description: String = ""

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_CreateApiKeyRequest()
                request.scope = self.operator ? .operator : .tenant
                request.description_p = self.description
                if self.operator, self.client.tenant != nil {
                    throw CLIError(
                        "An operator key belongs to no tenant: drop --tenant, or drop --operator for a tenant key."
                    )
                }
                if !self.operator {
                    guard let tenant = self.client.tenant else {
                        throw CLIError("Name the key's tenant with --tenant, or pass --operator.")
                    }
                    request.tenant = tenant
                }
                let response = try await self.client.withClient { try await $0.createApiKey(request) }
                printRecord(
                    [
                        "key": response.secret, "key_id": response.key.id,
                        "scope": self.operator ? "operator" : "tenant", "tenant_id": response.key.tenantID,
                    ],
                    format: self.client.format
                )
                if self.client.format == .table {
                    FileHandle.standardError.write(
                        Data("Store the key now: Mailgate keeps only its hash and cannot show it again.\n".utf8)
                    )
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key; every replica refuses it within seconds."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "The key id (the part after mgk_).") var keyID: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_RevokeApiKeyRequest()
                request.keyID = self.keyID
                let key = try await self.client.withClient { try await $0.revokeApiKey(request) }
                printRecord(
                    ["key_id": key.id, "revoked_at": formatDate(key.revokedAt.date)],
                    format: self.client.format
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List keys (operators: all, or --tenant's; tenant keys: their own)."
        )
        @OptionGroup var client: ClientOptions
        @Flag(help: "Include revoked keys.") var includeRevoked = false

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_ListApiKeysRequest()
                request.includeRevoked = self.includeRevoked
                let keys = try await self.client.withClient { try await $0.listApiKeys(request) }.keys
                printTable(
                    ["key_id", "scope", "tenant_id", "description", "created_at", "last_used_at", "revoked_at"],
                    keys.map { key in
                        [
                            key.id, key.scope == .operator ? "operator" : "tenant",
                            key.tenantID.isEmpty ? "-" : key.tenantID,
                            key.description_p, formatDate(key.createdAt.date),
                            formatDate(key.hasLastUsedAt ? key.lastUsedAt.date : nil),
                            formatDate(key.hasRevokedAt ? key.revokedAt.date : nil),
                        ]
                    },
                    format: self.client.format
                )
            }
        }
    }

    struct CreateOperator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-operator",
            abstract: "Bootstrap: make an operator key directly in the database and print it once.",
            discussion: "Needs database access, not a running server. Apply migrations first (mailgate migrate)."
        )
        @Option(help: "PostgreSQL URL. [env: MAILGATE_DATABASE_URL]") var databaseURL: String?
        @Option(help: "What the key is for.") var description: String = "operator key (key create-operator)"
        @Option(help: "Output format: the key alone (table), or json with its id.") var format: OutputFormat = .table

        func run() async throws {
            do {
                let (record, key) = try await DirectDatabase.run(url: self.databaseURL) { client, logger in
                    try await APIKeyRepository(client: client, logger: logger)
                        .create(tenantID: nil, description: self.description, actor: "cli:create-operator")
                }
                if self.format == .json {
                    printJSONObject(["key_id": record.id, "key": key.presentedForm.exposedValue])
                } else {
                    print(key.presentedForm.exposedValue)
                }
                FileHandle.standardError.write(
                    Data("operator key \(record.id) created; store it now, it is not shown again.\n".utf8)
                )
            } catch let error as CLIError {
                FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                throw ExitCode(64)
            } catch {
                FileHandle.standardError.write(
                    Data("error: cannot create the key: \(String(describing: error)). Is the database migrated?\n".utf8)
                )
                throw ExitCode(1)
            }
        }
    }
}

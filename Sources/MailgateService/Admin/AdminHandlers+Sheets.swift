import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateSheets
import MailgateStore
import SwiftProtobuf

extension AdminHandlers {
    /// The largest file ImportServers reads; checked before any parsing.
    static let sheetLimits = SheetLimits()

    func registerSheetMethods(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "ExportServers",
            request: Mailgate_V1_ExportServersRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            let servers = request.templateOnly ? [] : try await self.allServers(of: tenant)
            let base = "\(tenant.slug)-servers\(request.templateOnly ? "-template" : "")"
            // Writing a workbook of many servers is long CPU work: off the connection's event loop.
            return try await withTaskExecutorPreference(globalConcurrentExecutor) {
                let sheets = ServerSheet.sheets(servers, template: request.templateOnly)
                var response = Mailgate_V1_ExportServersResponse()
                switch request.format {
                case .csv:
                    response.file = CSV.write(sheets[0].rows)
                    response.fileName = base + ".csv"
                    response.contentType = "text/csv; charset=utf-8"
                case .xlsx, .unspecified:
                    response.file = try XLSXWriter.workbook(sheets)
                    response.fileName = base + ".xlsx"
                    response.contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                case .UNRECOGNIZED(let value):
                    throw RPCError(
                        code: .invalidArgument,
                        message: "Unknown sheet format \(value): use xlsx or csv.",
                        reason: "UNKNOWN_FORMAT"
                    )
                }
                response.serverCount = UInt32(servers.count)
                return response
            }
        }

        router.registerStoreBacked(
            Self.service + "ImportServers",
            request: Mailgate_V1_ImportServersRequest.self,
            health: self.health
        ) { request, context in
            let principal = try context.requireOperator()
            let tenant = try await self.resolver.requireTenant(request.tenant, context: context)
            // Parsing a sheet is long CPU work: off the connection's event loop.
            let rows = try await withTaskExecutorPreference(globalConcurrentExecutor) { try Self.readSheet(request) }
            guard let header = rows.first else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "The file is empty: it has no header row and no servers.",
                    reason: "EMPTY_FILE"
                )
            }
            let columns: [Int: ServerSheet.Column]
            do {
                columns = try ServerSheet.columnsByPosition(header.cells)
            } catch let error as ValidationError {
                var rpcError = error.rpcError
                rpcError.reason = "WRONG_HEADERS"
                throw rpcError
            }
            guard rows.count > 1 else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "The file has a header but no servers below it.",
                    reason: "NO_ROWS"
                )
            }
            let destinations = self.destinations
            let plan = await withTaskExecutorPreference(globalConcurrentExecutor) {
                ImportPlan(rows: rows.dropFirst(), columns: columns, destinations: destinations)
            }
            let (results, applied) = try await self.servers.putAll(
                tenantID: tenant.id,
                items: plan.items.map(\.item),
                partial: request.partial,
                dryRun: request.dryRun || (plan.hasInvalidRows && !request.partial),
                actor: principal.keyID
            )
            let response = plan.report(results, applied: applied)
            if applied {
                // As with PutServer: a changed server may be the fix its blocked mail waits for.
                for case .put(let outcome) in results where outcome.change == .updated {
                    _ = try? await self.blocks?.unblock(
                        tenantID: tenant.id,
                        serverID: outcome.server.id,
                        serverName: outcome.server.definition.name,
                        why: "the server was changed by an import of key \(principal.keyID)"
                    )
                }
            }
            context.logger.info(
                "servers imported",
                metadata: [
                    "tenant": "\(tenant.slug)", "actor": "\(principal.keyID)", "applied": "\(response.applied)",
                    "dry_run": "\(request.dryRun)",
                    "created": "\(response.created)", "updated": "\(response.updated)",
                    "unchanged": "\(response.unchanged)", "failed": "\(response.failed)",
                ]
            )
            return response
        }
    }

    /// The uploaded file's rows, within the size limit (checked before parsing).
    private static func readSheet(_ request: Mailgate_V1_ImportServersRequest) throws(RPCError) -> [SheetRow] {
        let limits = Self.sheetLimits
        guard request.file.count <= limits.maximumFileBytes else {
            throw RPCError(
                code: .invalidArgument,
                message: "The file is \(request.file.count) bytes; at most \(limits.maximumFileBytes) are accepted.",
                reason: "FILE_TOO_LARGE"
            )
        }
        do {
            switch request.format {
            case .csv: return try CSV.read(request.file, limits: limits)
            case .xlsx, .unspecified: return try XLSXReader.firstSheet(request.file, limits: limits)
            case .UNRECOGNIZED(let value):
                throw RPCError(
                    code: .invalidArgument,
                    message: "Unknown sheet format \(value): use xlsx or csv.",
                    reason: "UNKNOWN_FORMAT"
                )
            }
        } catch let error as SheetError {
            throw RPCError(code: .invalidArgument, message: error.description, reason: "MALFORMED_FILE")
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: .invalidArgument, message: "The file cannot be read.", reason: "MALFORMED_FILE")
        }
    }

    /// Every server of the tenant, by name.
    func allServers(of tenant: TenantReference) async throws -> [ServerRecord] {
        var servers: [ServerRecord] = []
        while true {
            let page = try await self.servers.list(
                tenantID: tenant.id,
                afterName: servers.last?.definition.name,
                limit: 500
            )
            servers += page
            if page.count < 500 { return servers }
        }
    }
}

/// The rows of an import turned into PutServer preparations, and the report of what
/// became of each.
struct ImportPlan {
    struct Row {
        let number: Int
        let name: String
        /// Problems found in the cells themselves; such a row is not put at all.
        let violations: [Violation]
        let item: ServerRepository.BatchItem
    }

    let items: [Row]

    var hasInvalidRows: Bool { self.items.contains { !$0.violations.isEmpty } }

    init(rows: ArraySlice<SheetRow>, columns: [Int: ServerSheet.Column], destinations: DestinationPolicy) {
        var seen: Set<String> = []
        var defaultRow: Int?
        self.items = rows.map { row in
            var (request, violations) = ServerSheet.request(row, columns: columns)
            if request.name.isEmpty {
                violations.append(Violation("Name", "is required"))
            } else if !seen.insert(request.name).inserted {
                violations.append(Violation("Name", "is the name of an earlier row too"))
            }
            if request.isDefault {
                if let first = defaultRow {
                    violations.append(
                        Violation("Default", "row \(first) is the default already; a tenant has one default server")
                    )
                } else {
                    defaultRow = row.number
                }
            }
            // A row with bad cells is refused with its own violations, in place, before any lookup.
            let item =
                violations.isEmpty
                ? ServerRepository.BatchItem(
                    name: request.name,
                    prepare: Self.preparation(of: request, destinations: destinations)
                )
                : ServerRepository.BatchItem(refusing: ValidationError("The row is not valid.", violations: violations))
            return Row(number: row.number, name: request.name, violations: violations, item: item)
        }
    }

    /// PutServer's preparation of a row, against the server as the import's transaction
    /// reads it. The expiry date as exported belongs to the stored secret: when the row gives
    /// that same day, it is left out, so the stored date keeps its source and a new secret in
    /// the row does not inherit the old one's date.
    static func preparation(of request: Mailgate_V1_PutServerRequest, destinations: DestinationPolicy)
        -> @Sendable (ServerRecord?) throws -> (ServerDefinition, SecretChanges)
    {
        let asGiven = AdminHandlers.preparation(of: request, destinations: destinations)
        guard request.hasClientSecretExpiresAt else { return asGiven }
        var withoutDate = request
        withoutDate.clearClientSecretExpiresAt()
        let keepingStoredDate = AdminHandlers.preparation(of: withoutDate, destinations: destinations)
        let day = request.clientSecretExpiresAt.date
        return { existing in
            if let stored = existing?.clientSecret.expiresAt, Calendar.utc.isDate(stored, inSameDayAs: day) {
                return try keepingStoredDate(existing)
            }
            return try asGiven(existing)
        }
    }

    func report(_ results: [ServerRepository.BatchResult], applied: Bool) -> Mailgate_V1_ImportServersResponse {
        var response = Mailgate_V1_ImportServersResponse()
        response.applied = applied
        for (row, result) in zip(self.items, results) {
            var line = Mailgate_V1_ImportRowResult()
            line.row = UInt32(row.number)
            line.server = row.name
            switch result {
            case .put(let outcome):
                switch outcome.change {
                case .created:
                    line.outcome = .created
                    response.created += 1
                case .updated:
                    line.outcome = .updated
                    response.updated += 1
                case .unchanged:
                    line.outcome = .unchanged
                    response.unchanged += 1
                }
            case .refused(let error):
                line.outcome = .error
                response.failed += 1
                let violations = (error as? ValidationError)?.violations ?? [Violation("", "cannot be imported")]
                line.violations = violations.map { violation in
                    var field = Mailgate_V1_FieldViolation()
                    // Cell problems already name their column; PutServer's rules name fields.
                    field.field =
                        ServerSheet.columns.contains { $0.header == violation.field }
                        ? violation.field : ServerSheet.header(forField: violation.field)
                    field.description_p = violation.description
                    return field
                }
            }
            response.rows.append(line)
        }
        return response
    }
}

import Foundation
import Hummingbird
import MailgateCore
import MailgateProto
import MailgateRPC
import NIOCore

/// The server sheet: download the servers or the empty template (xlsx or CSV), upload a
/// filled sheet, see the dry run per row, then apply it.
extension ConsoleRoutes {
    func registerSheetPages(on router: Router<ConsoleRequestContext>) {
        router.get("/tenants/:tenant/server-sheet/export") { request, context in
            var export = Mailgate_V1_ExportServersRequest()
            export.tenant = context.parameters.value("tenant")
            export.format = request.uri.queryParameters.get("format") == "csv" ? .csv : .xlsx
            export.templateOnly = request.uri.queryParameters.get("template") != nil
            do {
                let file = try await self.call(
                    "/mailgate.v1.Admin/ExportServers",
                    export,
                    returning: Mailgate_V1_ExportServersResponse.self,
                    context: context
                )
                let fileName = file.fileName.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: file.contentType,
                        .contentDisposition: "attachment; filename=\"\(fileName)\"",
                    ],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.file))
                )
            } catch {
                return self.failure(error, context: context)
            }
        }
        router.get("/tenants/:tenant/server-sheet/import") { _, context in
            await self.importPage(context.parameters.value("tenant"), context: context)
        }
        router.post("/tenants/:tenant/server-sheet/import") { _, context in
            let tenant = context.parameters.value("tenant")
            let apply = context.form.isChecked("apply")
            let sheet: Data
            let format: Mailgate_V1_SheetFormat
            if let upload = context.form.files["sheet"], !upload.data.isEmpty {
                sheet = upload.data
                format = upload.fileName.lowercased().hasSuffix(".csv") ? .csv : .xlsx
            } else if let session = context.session,
                let opened = try? self.backend.vault.open(
                    context.form["sheet_sealed"],
                    at: Self.sheetLocation(tenant: tenant, session: session)
                ),
                let decoded = Data(base64Encoded: opened.exposedValue), !decoded.isEmpty
            {
                sheet = decoded
                format = context.form["format"] == "csv" ? .csv : .xlsx
            } else {
                return await self.importPage(
                    tenant,
                    extra: ["error": context.language.text("sheet_missing")],
                    status: .badRequest,
                    context: context
                )
            }
            var request = Mailgate_V1_ImportServersRequest()
            request.tenant = tenant
            request.file = sheet
            request.format = format
            request.dryRun = !apply
            do {
                let result = try await self.call(
                    "/mailgate.v1.Admin/ImportServers",
                    request,
                    returning: Mailgate_V1_ImportServersResponse.self,
                    context: context
                )
                return await self.importPage(
                    tenant,
                    extra: [
                        "result": Self.importResult(
                            result,
                            sealedSheet: context.session.map {
                                self.backend.vault.seal(
                                    Secret(sheet.base64EncodedString()),
                                    at: Self.sheetLocation(tenant: tenant, session: $0)
                                )
                            } ?? "",
                            format: format,
                            language: context.language
                        )
                    ],
                    context: context
                )
            } catch {
                var banner = Self.errorBanner(error)
                banner["result"] = false
                return await self.importPage(
                    tenant,
                    extra: banner,
                    status: Self.httpStatus(RPCError(converting: error).code),
                    context: context
                )
            }
        }
    }

    private func importPage(
        _ tenant: String,
        extra: [String: Any] = [:],
        status: HTTPResponse.Status = .ok,
        context: ConsoleRequestContext
    ) async -> Response {
        var data = await self.chrome(tenant, context: context)
        data.merge(extra) { _, new in new }
        return self.pages.page(
            "import",
            title: context.language.text("import_title"),
            data,
            context: context,
            status: status
        )
    }

    /// Where a dry run's sheet is sealed: this tenant, this session. The page carries it to the
    /// import sealed, since a filled sheet may hold passwords and client secrets.
    static func sheetLocation(tenant: String, session: ConsoleSession) -> SecretLocation {
        SecretLocation(
            tenantID: tenant,
            serverID: session.idHash.map { String($0, radix: 16) }.joined(),
            column: "console_import_sheet"
        )
    }

    static func importResult(
        _ result: Mailgate_V1_ImportServersResponse,
        sealedSheet: String,
        format: Mailgate_V1_SheetFormat,
        language: Language
    ) -> [String: Any] {
        let outcomes: [Mailgate_V1_ImportOutcome: (String, String)] = [
            .created: ("import_created", "good"), .updated: ("import_updated", "good"),
            .unchanged: ("import_unchanged", ""), .error: ("import_error", "bad"),
        ]
        return [
            "applied": result.applied,
            "canApply": result.failed == 0 && (result.created + result.updated) > 0,
            "format": format == .csv ? "csv" : "xlsx",
            "sealedSheet": sealedSheet,
            "summary": language.text(
                "import_summary",
                [
                    "created": "\(result.created)", "updated": "\(result.updated)",
                    "unchanged": "\(result.unchanged)", "failed": "\(result.failed)",
                ]
            ),
            "rows": result.rows.map { row -> [String: Any] in
                let (key, cssClass) = outcomes[row.outcome] ?? ("import_error", "bad")
                return [
                    "row": row.row,
                    "server": row.server,
                    "outcome": language.text(key),
                    "outcomeClass": cssClass,
                    "violations": row.violations.map { ["field": $0.field, "description": $0.description_p] },
                ]
            },
        ]
    }
}

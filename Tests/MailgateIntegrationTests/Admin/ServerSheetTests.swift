import Foundation
import Logging
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateSheets
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing
import ZIPFoundation

/// ExportServers and ImportServers: the spreadsheet round trip, the readers people use
/// (openpyxl, LibreOffice), and every way a file can be refused without a partial write.
@Suite("Server sheets: export and import")
struct ServerSheetTests {
    static let smtpPassword = "sheet-password-0123456789"
    static let clientSecret = "cs~sheet-client-secret-0123456789"

    /// Tenant `source` with a Basic server, a Microsoft client-credentials server with an
    /// operator-given expiry date (the default), and a plaintext relay.
    static func populate(_ fixture: AdminFixture) async throws {
        SecretScan.register(Self.smtpPassword, Self.clientSecret)
        _ = try await fixture.createTenant("source")
        try await fixture.putBasicServer("billing", tenant: "source", password: Self.smtpPassword) { request in
            request.senderName = "Acme, \"Billing\" & Co"
            request.rateLimitPerMinute = 30
            request.maxConnections = 3
            request.uncertainPolicy = .fail
        }
        var microsoft = AdminFixture.microsoftServerRequest("m365", tenant: "source", clientSecret: Self.clientSecret)
        microsoft.clientSecretExpiresAt = Google_Protobuf_Timestamp(date: Date(timeIntervalSinceNow: 200 * 86_400))
        microsoft.isDefault = true
        _ = try await fixture.operatorClient.putServer(microsoft)
        var relay = Mailgate_V1_PutServerRequest()
        relay.tenant = "source"
        relay.name = "relay"
        relay.host = "relay.internal.example"
        relay.port = 25
        relay.security = .none
        relay.authType = .none
        relay.senderAddress = "noreply@acme.example"
        _ = try await fixture.operatorClient.putServer(relay)
    }

    static func export(
        _ fixture: AdminFixture,
        tenant: String,
        format: Mailgate_V1_SheetFormat = .xlsx,
        template: Bool = false
    ) async throws -> Mailgate_V1_ExportServersResponse {
        var request = Mailgate_V1_ExportServersRequest()
        request.tenant = tenant
        request.format = format
        request.templateOnly = template
        return try await fixture.operatorClient.exportServers(request)
    }

    static func importFile(
        _ fixture: AdminFixture,
        _ file: Data,
        tenant: String,
        format: Mailgate_V1_SheetFormat = .xlsx,
        dryRun: Bool = false,
        partial: Bool = false
    ) async throws(RPCError) -> Mailgate_V1_ImportServersResponse {
        var request = Mailgate_V1_ImportServersRequest()
        request.tenant = tenant
        request.file = file
        request.format = format
        request.dryRun = dryRun
        request.partial = partial
        return try await fixture.operatorClient.importServers(request)
    }

    static func servers(_ fixture: AdminFixture, tenant: String) async throws -> [Mailgate_V1_OutputServer] {
        var request = Mailgate_V1_ListServersRequest()
        request.tenant = tenant
        return try await fixture.operatorClient.listServers(request).servers
    }

    /// What a server is, without identity, versions, times and secret state.
    static func shape(_ server: Mailgate_V1_OutputServer) -> Mailgate_V1_OutputServer {
        var shape = server
        for clear in [\Mailgate_V1_OutputServer.id, \.tenantID] { shape[keyPath: clear] = "" }
        shape.version = 0
        shape.clearCreatedAt()
        shape.clearUpdatedAt()
        shape.clearPassword()
        shape.clearAccessToken()
        shape.clearRefreshToken()
        shape.clientSecret = Mailgate_V1_SecretState()
        return shape
    }

    /// `rows` (the export's) with secret columns added and filled per server name.
    static func withSecrets(_ rows: [SheetRow], _ secrets: [String: (header: String, value: String)]) -> [[String]] {
        let headers = ["Password (import only, never exported)", "Client secret (import only, never exported)"]
        return rows.enumerated().map { index, row in
            if index == 0 { return row.cells + headers }
            var cells = row.cells + ["", ""]
            if let secret = secrets[row.cells[0]] {
                cells[row.cells.count + headers.firstIndex(of: secret.header)!] = secret.value
            }
            return cells
        }
    }

    @Test(
        "export, fill in the secrets, import into an empty tenant: the same servers; importing an export again changes nothing"
    )
    func roundTrip() async throws {
        try await AdminFixture.run { fixture in
            try await Self.populate(fixture)
            let exported = try await Self.export(fixture, tenant: "source")
            #expect(exported.serverCount == 3)
            #expect(exported.fileName == "source-servers.xlsx")
            let text = String(decoding: exported.file, as: UTF8.self)
            #expect(!text.contains(Self.smtpPassword) && !text.contains(Self.clientSecret))

            // The same file back into the same tenant: every server unchanged, nothing written.
            let before = try await Self.servers(fixture, tenant: "source")
            let again = try await Self.importFile(fixture, exported.file, tenant: "source")
            #expect(again.rows.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
            #expect(again.applied)
            let source = try await Self.servers(fixture, tenant: "source")
            #expect(source.map(\.version) == before.map(\.version), "no server changed")

            // Into an empty tenant, as an operator does: the secrets typed into the sheet.
            _ = try await fixture.createTenant("copy")
            let rows = try XLSXReader.firstSheet(exported.file)
            let filled = Self.withSecrets(
                rows,
                [
                    "billing": ("Password (import only, never exported)", Self.smtpPassword),
                    "m365": ("Client secret (import only, never exported)", Self.clientSecret),
                ]
            )
            let report = try await Self.importFile(fixture, CSV.write(filled), tenant: "copy", format: .csv)
            #expect(report.applied)
            #expect(report.rows.map(\.outcome) == [.created, .created, .created])
            #expect(report.rows.map(\.row) == [2, 3, 4])
            #expect(report.created == 3 && report.failed == 0)
            let copy = try await Self.servers(fixture, tenant: "copy")
            #expect(copy.map(Self.shape) == source.map(Self.shape))
            #expect(copy.first { $0.name == "billing" }?.password.isSet == true)
            #expect(copy.first { $0.name == "m365" }?.clientSecret.expirySource == .operator)
            #expect(copy.first { $0.name == "m365" }?.isDefault == true)
            // The response never echoes a secret.
            let json = try report.jsonString()
            #expect(!json.contains(Self.smtpPassword) && !json.contains(Self.clientSecret))
        }
    }

    @Test("the xlsx opens in openpyxl: two sheets, the header, the cells, drop-down lists on the enumerated columns")
    func openpyxl() async throws {
        let python = try #require(
            ProcessInfo.processInfo.environment["MAILGATE_TEST_PYTHON"],
            "scripts/test sets MAILGATE_TEST_PYTHON"
        )
        try await AdminFixture.run { fixture in
            try await Self.populate(fixture)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-sheet-\(UUID()).xlsx")
            defer { try? FileManager.default.removeItem(at: file) }
            try (try await Self.export(fixture, tenant: "source")).file.write(to: file)
            let script = """
                import json, sys, openpyxl
                book = openpyxl.load_workbook(sys.argv[1])
                sheet = book["Servers"]
                rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
                validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
                print(json.dumps({"sheets": book.sheetnames, "rows": rows, "validations": validations,
                                  "columns": [r[0] or "" for r in book["Columns"].iter_rows(values_only=True)]}))
                """
            let (status, output) = try await runProgram(URL(fileURLWithPath: python), ["-c", script, file.path])
            #expect(status == 0, "openpyxl could not read the workbook")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            #expect(result["sheets"] as? [String] == ["Servers", "Columns"])
            let rows = try #require(result["rows"] as? [[String]])
            #expect(rows.first?.prefix(4) == ["Name", "Host", "Port", "Security"])
            #expect(
                rows.first?.contains("Password (import only, never exported)") == false,
                "secret columns only in the template"
            )
            #expect(rows.dropFirst().map { $0[0] } == ["billing", "m365", "relay"])
            #expect(rows[1].contains("Acme, \"Billing\" & Co"))
            let validations = try #require(result["validations"] as? [String: String])
            #expect(validations["D2:D10001"] == "\"none,starttls,tls,opportunistic\"")
            #expect(validations.values.contains("\"none,basic,oauth2\""))
            #expect(validations.values.contains("\"authorization_code,client_credentials\""))
            #expect((result["columns"] as? [String])?.contains("Client secret (import only, never exported)") == true)
        }
    }

    @Test("LibreOffice converts the xlsx to CSV with the expected cells")
    func libreOffice() async throws {
        let soffice = try #require(
            ["/usr/bin/soffice", "/usr/bin/libreoffice", "/usr/lib/libreoffice/program/soffice"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            },
            "scripts/test installs LibreOffice (libreoffice-calc-nogui)"
        )
        try await AdminFixture.run { fixture in
            try await Self.populate(fixture)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-lo-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("servers.xlsx")
            try (try await Self.export(fixture, tenant: "source")).file.write(to: file)
            // Its own profile, so parallel runs do not share LibreOffice's lock.
            let (status, _) = try await runProgram(
                URL(fileURLWithPath: soffice),
                [
                    "-env:UserInstallation=file://\(folder.path)/profile", "--headless", "--convert-to", "csv",
                    "--outdir", folder.path, file.path,
                ]
            )
            #expect(status == 0)
            let csv = try Data(contentsOf: folder.appendingPathComponent("servers.csv"))
            let rows = try CSV.read(csv).map(\.cells)
            #expect(rows.first?.prefix(3) == ["Name", "Host", "Port"])
            let billing = try #require(rows.first { $0.first == "billing" })
            #expect(
                billing.prefix(8) == [
                    "billing", "smtp.example.com", "587", "starttls", "Acme, \"Billing\" & Co", "billing@example.com",
                    "basic", "billing@example.com",
                ]
            )
            #expect(rows.contains { $0.first == "relay" && $0.contains("relay.internal.example") })
        }
    }

    @Test(
        "all or nothing: one invalid row writes nothing and is reported by column; partial writes the valid rows; a dry run writes nothing"
    )
    func allOrNothing() async throws {
        try await AdminFixture.run { fixture in
            _ = try await fixture.createTenant("target")
            var rows = [serverSheetHeader()]
            rows.append(Self.row(name: "one", sender: "one@acme.example"))
            rows.append(Self.row(name: "two", sender: "not an address"))
            rows.append(Self.row(name: "three", sender: "three@acme.example", port: "seventy"))
            rows.append(Self.row(name: "one", sender: "dup@acme.example"))
            rows.append(Self.row(name: "four", sender: "four@acme.example"))
            rows.append(Self.row(name: "", sender: "nameless@acme.example"))
            var secondDefault = Self.row(name: "five", sender: "five@acme.example")
            var firstDefault = rows[5]
            firstDefault[serverSheetHeader().firstIndex(of: "Default")!] = "yes"
            rows[5] = firstDefault
            secondDefault[serverSheetHeader().firstIndex(of: "Default")!] = "yes"
            rows.append(secondDefault)
            let file = CSV.write(rows)

            let refused = try await Self.importFile(fixture, file, tenant: "target", format: .csv)
            #expect(!refused.applied)
            #expect(refused.rows.map(\.outcome) == [.created, .error, .error, .error, .created, .error, .error])
            #expect(refused.rows[1].violations.map(\.field) == ["Sender address"])
            #expect(refused.rows[2].violations.first?.field == "Port")
            #expect(refused.rows[3].violations.first?.description_p.contains("earlier row") == true)
            #expect(refused.rows[5].violations.map(\.field) == ["Name"], "a row without a name is refused in place")
            #expect(refused.rows[6].violations.first?.description_p.contains("row 6 is the default already") == true)
            #expect(try await Self.servers(fixture, tenant: "target").isEmpty, "nothing written")

            let dry = try await Self.importFile(
                fixture,
                file,
                tenant: "target",
                format: .csv,
                dryRun: true,
                partial: true
            )
            #expect(!dry.applied && dry.created == 2 && dry.failed == 5)
            #expect(try await Self.servers(fixture, tenant: "target").isEmpty, "a dry run writes nothing")

            let partial = try await Self.importFile(fixture, file, tenant: "target", format: .csv, partial: true)
            #expect(partial.applied && partial.created == 2 && partial.failed == 5)
            let written = try await Self.servers(fixture, tenant: "target")
            #expect(written.map(\.name) == ["four", "one"])
            #expect(written.first { $0.name == "four" }?.isDefault == true)
        }
    }

    /// A header-complete row for a plaintext relay.
    static func row(name: String, sender: String, port: String = "25") -> [String] {
        let header = serverSheetHeader()
        var cells = Array(repeating: "", count: header.count)
        func set(_ column: String, _ value: String) { cells[header.firstIndex(of: column)!] = value }
        set("Name", name)
        set("Host", "relay.acme.example")
        set("Port", port)
        set("Security", "none")
        set("Authentication", "none")
        set("Sender address", sender)
        return cells
    }

    @Test(
        "malformed files are refused with INVALID_ARGUMENT and a reason, and nothing is written",
        arguments: [
            ("not a zip", "xlsx", "MALFORMED_FILE"),
            ("zip bomb", "xlsx", "MALFORMED_FILE"),  // 33 MiB inflated, just over the server's 32 MiB
            ("huge sheet", "csv", "MALFORMED_FILE"),
            ("formula", "xlsx", "MALFORMED_FILE"),
            ("csv formula", "csv", "MALFORMED_FILE"),
            ("wrong headers", "csv", "WRONG_HEADERS"),
            ("too large", "csv", "FILE_TOO_LARGE"),
            ("empty", "csv", "EMPTY_FILE"),
            ("header only", "csv", "NO_ROWS"),
        ]
    )
    func malformed(name: String, format: String, reason: String) async throws {
        let file: Data
        switch name {
        case "not a zip": file = Data("Name,Host\nrelay,smtp.example.org\n".utf8)
        case "zip bomb": file = try Self.bomb()
        case "huge sheet":
            file = CSV.write(
                [serverSheetHeader()] + Array(repeating: Self.row(name: "x", sender: "x@acme.example"), count: 12_000)
            )
        case "formula": file = try Self.formulaWorkbook()
        case "csv formula": file = CSV.write([serverSheetHeader()]) + Data("=HYPERLINK(\"http://evil\"),h\r\n".utf8)
        case "wrong headers": file = CSV.write([["Server", "Host", "Port"], ["relay", "smtp", "25"]])
        case "too large": file = Data(repeating: 0x41, count: (5 << 20) + 1)
        case "empty": file = Data()
        default: file = CSV.write([serverSheetHeader()])
        }
        try await AdminFixture.run { fixture in
            _ = try await fixture.createTenant("target")
            let error = await expectRPCError {
                _ = try await Self.importFile(fixture, file, tenant: "target", format: format == "csv" ? .csv : .xlsx)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.reason == reason, "\(name): \(error?.message ?? "")")
            if name == "wrong headers" {
                #expect(
                    error?.fieldViolations.contains {
                        $0.field == "column A" && $0.description.contains("not a column")
                    } == true
                )
                #expect(
                    error?.description.contains("Server") == false,
                    "header cells are named by position, never quoted"
                )
                #expect(
                    error?.fieldViolations.contains {
                        $0.field == "Sender address" && $0.description.contains("missing")
                    } == true
                )
            }
            #expect(try await Self.servers(fixture, tenant: "target").isEmpty)
        }
    }

    static func bomb() throws -> Data {
        let archive = try Archive(accessMode: .create)
        let parts = [
            "xl/workbook.xml":
                #"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            "xl/_rels/workbook.xml.rels":
                #"<Relationships><Relationship Id="rId1" Type="t" Target="worksheets/sheet1.xml"/></Relationships>"#,
            "xl/worksheets/sheet1.xml": "<worksheet><sheetData>" + String(repeating: " ", count: 33 << 20)
                + "</sheetData></worksheet>",
        ]
        for (path, text) in parts {
            let data = Data(text.utf8)
            try archive.addEntry(
                with: path,
                type: .file,
                uncompressedSize: Int64(data.count),
                compressionMethod: .deflate
            ) { position, size in
                data.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return try #require(archive.data)
    }

    static func formulaWorkbook() throws -> Data {
        var rows = [serverSheetHeader(), Self.row(name: "relay", sender: "a@acme.example")]
        rows[1][1] = "FORMULA-HERE"
        let workbook = try XLSXWriter.workbook([Sheet(name: "Servers", rows: rows)])
        // Rewrite the one cell into a formula, as a spreadsheet would save =CONCAT(…).
        let archive = try Archive(data: workbook, accessMode: .read)
        let rewritten = try Archive(accessMode: .create)
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            var text = String(decoding: data, as: UTF8.self)
            text = text.replacingOccurrences(
                of: #"t="inlineStr"><is><t xml:space="preserve">FORMULA-HERE</t></is>"#,
                with: #"t="str"><f>CONCAT("smtp.",A2)</f><v>smtp.relay</v>"#
            )
            let bytes = Data(text.utf8)
            try rewritten.addEntry(
                with: entry.path,
                type: .file,
                uncompressedSize: Int64(bytes.count),
                compressionMethod: .deflate
            ) { position, size in
                bytes.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return try #require(rewritten.data)
    }

    @Test("the template has the secret columns, marked import only, and no rows; tenant keys may export but not import")
    func templateAndPermissions() async throws {
        try await AdminFixture.run { fixture in
            try await Self.populate(fixture)
            let template = try await Self.export(fixture, tenant: "source", format: .csv, template: true)
            #expect(template.fileName == "source-servers-template.csv")
            let rows = try CSV.read(template.file)
            #expect(rows.count == 1)
            #expect(
                rows[0].cells.suffix(3) == [
                    "Password (import only, never exported)", "Client secret (import only, never exported)",
                    "Refresh token (import only, never exported)",
                ]
            )

            let tenantClient = fixture.client(apiKey: try await fixture.createTenantKey("source"))
            defer { Task { await tenantClient.close() } }
            let own = try await tenantClient.exportServers(Mailgate_V1_ExportServersRequest())
            #expect(own.serverCount == 3)
            var request = Mailgate_V1_ImportServersRequest()
            request.file = template.file
            request.format = .csv
            let refused = await expectRPCError { _ = try await tenantClient.importServers(request) }
            #expect(refused?.code == .permissionDenied)
        }
    }

    @Test("CLI: server export writes the file, server import prints a report per row and exits 0, 1 or 2")
    func commandLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLITests.executable.path), "swift build first")
        try await AdminFixture.run { fixture in
            try await Self.populate(fixture)
            _ = try await fixture.createTenant("copy")
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-sheet-cli-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let environment = [
                "MAILGATE_ADDRESS": "127.0.0.1:\(fixture.port)",
                "MAILGATE_KEY": testOperatorKey.presentedForm.exposedValue,
            ]
            let xlsx = folder.appendingPathComponent("servers.xlsx").path
            let (exported, _) = try await CLITests.mailgate(
                ["server", "export", "--tenant", "source", "-o", xlsx],
                environment
            )
            #expect(exported == 0)
            #expect(try XLSXReader.firstSheet(try Data(contentsOf: URL(fileURLWithPath: xlsx))).count == 4)

            // relay needs no secret: a dry run says it would be created, and nothing is written.
            let csv = folder.appendingPathComponent("relay.csv").path
            let rows = try XLSXReader.firstSheet(try Data(contentsOf: URL(fileURLWithPath: xlsx)))
            try CSV.write([rows[0].cells, rows.first { $0.cells.first == "relay" }!.cells]).write(
                to: URL(fileURLWithPath: csv)
            )
            let (dryStatus, dryReport) = try await CLITests.mailgate(
                ["server", "import", csv, "--tenant", "copy", "--dry-run"],
                environment
            )
            #expect(dryStatus == 0)
            #expect(dryReport.contains("relay") && dryReport.contains("created") && dryReport.contains("Dry run"))
            #expect(try await Self.servers(fixture, tenant: "copy").isEmpty)

            // billing without its password: refused by PutServer's rule, reported by column, exit 1.
            let (refusedStatus, refusedReport) = try await CLITests.mailgate(
                ["server", "import", xlsx, "--tenant", "copy"],
                environment
            )
            #expect(refusedStatus == 1)
            #expect(refusedReport.contains("Password: is required for basic authentication"))
            #expect(refusedReport.contains("Nothing was written"))

            let (partialStatus, partialJSON) = try await CLITests.mailgate(
                ["server", "import", xlsx, "--tenant", "copy", "--partial", "--format", "json"],
                environment
            )
            #expect(partialStatus == 1)
            let report = try Mailgate_V1_ImportServersResponse(jsonString: partialJSON)
            #expect(report.applied && report.created == 1 && report.failed == 2)

            let garbage = folder.appendingPathComponent("garbage.xlsx").path
            try Data("not a workbook".utf8).write(to: URL(fileURLWithPath: garbage))
            let (garbageStatus, _) = try await CLITests.mailgate(
                ["server", "import", garbage, "--tenant", "copy"],
                environment
            )
            #expect(garbageStatus == 2)
        }
    }
}

/// The import header of the server sheet (no secret columns), as an exported CSV has it.
func serverSheetHeader() -> [String] {
    [
        "Name", "Host", "Port", "Security", "Sender name", "Sender address", "Authentication", "Username",
        "Allow plaintext auth",
        "OAuth provider", "OAuth flow", "OAuth client ID", "OAuth directory ID", "OAuth authorization URL",
        "OAuth token URL", "OAuth scopes",
        "Discover secret expiry", "Client secret expires", "Rate limit per minute", "Max connections",
        "Daily recipient limit",
        "Uncertain policy", "Default",
    ]
}

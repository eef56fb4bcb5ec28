import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto
import MailgateSheets
import SwiftProtobuf

/// The spreadsheet formats of `server export` and `server import`.
enum SheetFileFormat: String, ExpressibleByArgument, CaseIterable {
    case xlsx
    case csv

    var proto: Mailgate_V1_SheetFormat { self == .csv ? .csv : .xlsx }

    /// The format a file name implies: `.csv` is CSV, anything else xlsx.
    init(path: String) {
        self = path.lowercased().hasSuffix(".csv") ? .csv : .xlsx
    }
}

extension ServerCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the tenant's servers to a spreadsheet (.xlsx or CSV), or the empty template to fill in.",
            discussion: """
                The xlsx workbook has a "Servers" sheet (drop-down lists on security, authentication,
                provider, flow and the yes/no columns) and a "Columns" sheet explaining each column.
                Secrets are never exported; the template has their columns, for import only.
                """
        )
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "The empty template (with the secret columns) instead of the servers.") var template = false
        @Option(help: "xlsx or csv (default: from the file name, else xlsx).") var format: SheetFileFormat?
        @Option(name: .shortAndLong, help: "The file to write (- for standard output).") var output: String

        func run() async throws {
            try await runClientCall {
                var request = Mailgate_V1_ExportServersRequest()
                request.format = (self.format ?? SheetFileFormat(path: self.output)).proto
                request.templateOnly = self.template
                let response = try await self.connection.withClient { try await $0.exportServers(request) }
                if self.output == "-" {
                    FileHandle.standardOutput.write(response.file)
                } else {
                    guard FileManager.default.createFile(atPath: self.output, contents: response.file) else {
                        throw CLIError("Cannot write \(self.output).")
                    }
                    let what =
                        self.template
                        ? "the template" : "\(response.serverCount) server\(response.serverCount == 1 ? "" : "s")"
                    FileHandle.standardError.write(Data("wrote \(what) to \(self.output)\n".utf8))
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create and update servers from a filled-in sheet (.xlsx or CSV), with a report per row.",
            discussion: """
                Every row is checked as `server put` checks it. Without --partial nothing is written
                unless every row is valid. Exit status: 0 all rows fine, 1 some rows were refused
                (see the report), 2 the file or the call was refused.
                """
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "The .xlsx or .csv file.") var file: String
        @Option(name: .customLong("sheet-format"), help: "xlsx or csv (default: from the file name).") var sheetFormat:
            SheetFileFormat?
        @Flag(help: "Check and report; change nothing.") var dryRun = false
        @Flag(help: "Write the valid rows even when others are refused.") var partial = false

        func run() async throws {
            var failed = false
            try await runClientCall {
                guard let data = FileManager.default.contents(atPath: self.file) else {
                    throw CLIError("Cannot read \(self.file).")
                }
                // The server's limit, said here before the upload.
                let limit = SheetLimits().maximumFileBytes
                guard data.count <= limit else {
                    throw CLIError(
                        "\(self.file) is \(data.count) bytes; an import takes at most \(limit) bytes. Split it into several files."
                    )
                }
                var request = Mailgate_V1_ImportServersRequest()
                request.file = data
                request.format = (self.sheetFormat ?? SheetFileFormat(path: self.file)).proto
                request.dryRun = self.dryRun
                request.partial = self.partial
                // 1,000 rows take a few seconds (BENCHMARKS.md): the default deadline is 300 s.
                let timeout = Duration.milliseconds(Int64((self.client.timeout ?? 300) * 1000))
                let response = try await self.client.withClient {
                    try await $0.importServers(request, timeout: timeout)
                }
                failed = response.failed > 0
                switch self.client.format {
                case .json:
                    var options = JSONEncodingOptions()
                    options.preserveProtoFieldNames = true
                    print(try response.jsonString(options: options))
                case .table:
                    printImport(response, dryRun: self.dryRun)
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

/// The per-row report: one line per row, the violations of refused rows below it.
private func printImport(_ response: Mailgate_V1_ImportServersResponse, dryRun: Bool) {
    let rows = response.rows.map { row -> [String] in
        let outcome =
            switch row.outcome {
            case .created: "created"
            case .updated: "updated"
            case .unchanged: "unchanged"
            case .error: "error"
            default: "?"
            }
        return [
            String(row.row), row.server, outcome,
            row.violations.map { "\($0.field): \($0.description_p)" }.joined(separator: "; "),
        ]
    }
    printTable(["row", "server", "outcome", "problems"], rows, format: .table)
    let counts =
        "\(response.created) created, \(response.updated) updated, \(response.unchanged) unchanged, \(response.failed) refused"
    if response.applied {
        print("\n\(counts).")
    } else if dryRun {
        print("\nDry run: \(counts); nothing was written.")
    } else {
        print(
            "\nNothing was written: \(response.failed) row\(response.failed == 1 ? " is" : "s are") refused (\(counts)). Fix them, or use --partial to write the valid rows."
        )
    }
}

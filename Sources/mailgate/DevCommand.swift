import ArgumentParser
import Foundation

struct DevCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Local development helpers (scripts/dev).",
        subcommands: [Mail.self]
    )

    struct Mail: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List the mail the development catcher received (.mailgate/mail/), newest first; --show N prints one.",
            discussion: """
                scripts/dev points the demo tenant's server "catcher" at a local SMTP server that
                keeps every message as N.eml (exactly what Mailgate sent) and N.json (the envelope).
                """
        )

        @Option(help: "The catcher's folder.") var folder: String = DevEnvironment.mailFolder.path
        @Option(help: "Print message N (its .eml) instead of the list.") var show: Int?
        @Option(help: "How many to list.") var limit: Int = 20
        @Option(help: "Output format: table for people, json for scripts.") var format: OutputFormat = .table

        func run() throws {
            let folder = URL(fileURLWithPath: self.folder)
            if let number = self.show {
                let file = folder.appendingPathComponent("\(number).eml")
                guard let data = FileManager.default.contents(atPath: file.path) else {
                    throw CLIError("No message \(number) in \(self.folder).")
                }
                FileHandle.standardOutput.write(data)
                return
            }
            let numbers = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
                .compactMap { $0.hasSuffix(".eml") ? Int($0.dropLast(4)) : nil }
                .sorted(by: >)
                .prefix(self.limit)
            if numbers.isEmpty, self.format == .table {
                print("No mail in \(self.folder) yet. Send some: see the commands scripts/dev printed.")
                return
            }
            let rows = numbers.map { number -> [String] in
                let message = CaughtMessage(folder: folder, number: number)
                return [String(number), message.date, message.from, message.to, message.subject, message.file]
            }
            printTable(["n", "date", "from", "to", "subject", "file"], rows, format: self.format)
        }
    }
}

/// One message the catcher kept: header fields of N.eml, envelope recipients of N.json.
struct CaughtMessage {
    let file: String
    let date: String
    let from: String
    let to: String
    let subject: String

    init(folder: URL, number: Int) {
        let eml = folder.appendingPathComponent("\(number).eml")
        self.file = eml.path
        let text =
            (FileManager.default.contents(atPath: eml.path)).map {
                String(decoding: $0.prefix(64 * 1024), as: UTF8.self)
            } ?? ""
        let headers = Self.headers(of: text)
        self.date = headers["date"] ?? "-"
        self.from = headers["from"] ?? "-"
        self.subject = headers["subject"] ?? "-"
        let envelope = FileManager.default.contents(atPath: folder.appendingPathComponent("\(number).json").path)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        self.to = (envelope?["rcpt_tos"] as? [String])?.joined(separator: ", ") ?? headers["to"] ?? "-"
    }

    /// The header block's fields by lowercased name, folded lines joined (encoded words left as they are).
    static func headers(of text: String) -> [String: String] {
        var fields: [String: String] = [:]
        var last: String?
        // "\r\n" is one Character, which isNewline matches as a whole.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t", let name = last {
                fields[name, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                if fields[name] == nil {
                    fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                last = name
            }
        }
        return fields
    }
}

import Foundation

/// Prints records as an aligned table (people) or a JSON array (scripts).
func printTable(_ columns: [String], _ rows: [[String]], format: OutputFormat) {
    switch format {
    case .json:
        let objects = rows.map { row in Dictionary(uniqueKeysWithValues: zip(columns, row)) }
        if let data = try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    case .table:
        let widths = columns.indices.map { index in
            ([columns[index]] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(columns.map { $0.uppercased() }))
        for row in rows { print(line(row)) }
    }
}

/// Prints one JSON object (sorted keys) for scripts: numbers, booleans and lists as such.
func printJSONObject(_ object: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
        print(String(decoding: data, as: UTF8.self))
    }
}

/// A date for tables: ISO 8601 in UTC, or "-" when absent.
func formatDate(_ date: Date?) -> String {
    guard let date else { return "-" }
    return date.formatted(.iso8601)
}

/// Reads a secret from a file, or from standard input for "-"; one trailing newline is dropped.
func readSecret(from path: String, name: String) throws -> String {
    let data: Data
    if path == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CLIError("Cannot read the \(name) file \(path).")
        }
        data = contents
    }
    var text = String(decoding: data, as: UTF8.self)
    // One removeLast drops "\r\n" too: it is a single Character.
    if text.hasSuffix("\n") || text.hasSuffix("\r\n") { text.removeLast() }
    guard !text.isEmpty else { throw CLIError("The \(name) file \(path) is empty.") }
    return text
}

/// A problem with the command line or its files: printed as is, exit status 64.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

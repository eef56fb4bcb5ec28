import Foundation

/// CSV as RFC 4180 describes it (comma-separated, fields with commas, quotes or line
/// breaks in double quotes, CRLF between records), UTF-8 with a byte order mark so
/// Excel reads accents right.
///
/// Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, or
/// a TAB or carriage return, which spreadsheets skip before reading the rest as one; the
/// OWASP list) are written with a leading `'`, which spreadsheets show as text and `read`
/// removes; `read` refuses a cell that starts with `=` without it (after any TAB or CR):
/// a formula, not a value.
public enum CSV {
    public static func write(_ rows: [[String]]) -> Data {
        var text = "\u{FEFF}"
        for row in rows {
            text += row.map(self.field).joined(separator: ",") + "\r\n"
        }
        return Data(text.utf8)
    }

    private static func field(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, Self.formulaTriggers.contains(first) { value = "'" + value }
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The non-empty records with their line-based row numbers (header = row 1).
    public static func read(_ data: Data, limits: SheetLimits = SheetLimits()) throws(SheetError) -> [SheetRow] {
        guard data.count <= limits.maximumFileBytes else {
            throw SheetError("The file is \(data.count) bytes; at most \(limits.maximumFileBytes) are accepted.")
        }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw SheetError("The file is a zip archive (an .xlsx workbook?), not CSV: import it with format xlsx.")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw SheetError("The CSV file is not UTF-8 text. Save it as \"CSV UTF-8\".")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        guard !text.contains("\0") else { throw SheetError("The CSV file holds NUL bytes; it is not a text file.") }

        var rows: [SheetRow] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var fieldStarted = false
        var recordNumber = 1
        func endField() throws(SheetError) {
            guard field.count <= limits.maximumCellCharacters else {
                throw SheetError(
                    "Row \(recordNumber) holds a cell of more than \(limits.maximumCellCharacters) characters."
                )
            }
            // By scalar: "\r\n" is one Character, equal to neither "\t" nor "\r".
            if field.unicodeScalars.drop(while: { $0 == "\t" || $0 == "\r" || $0 == "\n" }).first == "=" {
                throw SheetError(
                    "Row \(recordNumber), column \(record.count + 1) holds a formula; the import takes values only."
                )
            }
            record.append(Self.unprotected(field))
            field = ""
            fieldStarted = false
            guard record.count <= limits.maximumColumns else {
                throw SheetError("Row \(recordNumber) has more than \(limits.maximumColumns) columns.")
            }
        }
        func endRecord() throws(SheetError) {
            try endField()
            while record.last == "" { record.removeLast() }
            if !record.isEmpty { rows.append(SheetRow(number: recordNumber, cells: record)) }
            record = []
            recordNumber += 1
            guard recordNumber <= limits.maximumRows + 1 else {
                throw SheetError(
                    "The file has more than \(limits.maximumRows - 1) rows below the header; split it into several files."
                )
            }
        }
        var characters = text.makeIterator()
        var pending: Character?
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = characters.next()
                    if next == "\"" {
                        field.append("\"")
                    } else {
                        quoted = false
                        pending = next
                    }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where !fieldStarted:
                quoted = true
                fieldStarted = true
            case ",":
                try endField()
            case "\r\n", "\n", "\r":
                try endRecord()
            default:
                field.append(character)
                fieldStarted = true
            }
        }
        guard !quoted else { throw SheetError("Row \(recordNumber) opens a quoted field that never closes.") }
        if fieldStarted || !field.isEmpty || !record.isEmpty { try endRecord() }
        return rows
    }

    /// The first characters that make a spreadsheet read a cell as a formula.
    static let formulaTriggers: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// Drops the `'` that `write` put before a formula-like value.
    private static func unprotected(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard scalars.first == "'", let second = scalars.dropFirst().first, Self.formulaTriggers.contains(second) else {
            return value
        }
        return String(scalars.dropFirst())
    }
}

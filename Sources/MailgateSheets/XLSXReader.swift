import Foundation
import ZIPFoundation

/// Reads the first worksheet of an .xlsx workbook as text cells, within `SheetLimits`:
/// the archive's entries and their uncompressed bytes are counted while they are
/// inflated (a zip bomb stops at the limit, whatever sizes it declares), and formulas,
/// error cells and XML document type declarations are refused.
public enum XLSXReader {
    public static func firstSheet(_ data: Data, limits: SheetLimits = SheetLimits()) throws(SheetError) -> [SheetRow] {
        guard data.count <= limits.maximumFileBytes else {
            throw SheetError("The file is \(data.count) bytes; at most \(limits.maximumFileBytes) are accepted.")
        }
        guard data.starts(with: [0x50, 0x4B, 0x03, 0x04]) else {
            throw SheetError(
                "The file is not an .xlsx workbook (an xlsx file is a zip archive). Save it as Excel Workbook (.xlsx), or import it as CSV."
            )
        }
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw SheetError("The file is not a readable zip archive, so not an .xlsx workbook.")
        }
        var budget = UncompressedBudget(limits: limits)
        var entries: [String: Entry] = [:]
        for entry in archive {
            entries[entry.path] = entry
            guard entries.count <= limits.maximumEntries else {
                throw SheetError(
                    "The workbook has more than \(limits.maximumEntries) parts; it is not a plain sheet of servers."
                )
            }
        }
        func read(_ path: String) throws(SheetError) -> [UInt8]? {
            guard let entry = entries[path] else { return nil }
            return try budget.extract(entry, from: archive)
        }

        guard let workbook = try read("xl/workbook.xml") else {
            throw SheetError("The file is a zip archive but not an .xlsx workbook (it has no xl/workbook.xml).")
        }
        var relationships: [String: (target: String, type: String)] = [:]
        if let bytes = try read("xl/_rels/workbook.xml.rels") { relationships = try Self.relationships(bytes) }
        let sheetPath =
            try Self.firstSheetID(workbook).flatMap { relationships[$0]?.target }.map(Self.partPath)
            ?? "xl/worksheets/sheet1.xml"
        let sharedStringsPath =
            relationships.values.first { $0.type.hasSuffix("/sharedStrings") }.map { Self.partPath($0.target) }
            ?? "xl/sharedStrings.xml"
        var sharedStrings: [String] = []
        if let bytes = try read(sharedStringsPath) { sharedStrings = try Self.sharedStrings(bytes, limits: limits) }
        guard let sheet = try read(sheetPath) else {
            throw SheetError("The workbook's first sheet (\(sheetPath)) is missing.")
        }
        return try Self.rows(of: sheet, part: sheetPath, sharedStrings: sharedStrings, limits: limits)
    }

    /// `xl/…` for a target relative to `xl/`, or the absolute part name without its slash.
    private static func partPath(_ target: String) -> String {
        target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
    }

    private static func firstSheetID(_ workbook: [UInt8]) throws(SheetError) -> String? {
        var id: String?
        try XMLReader.read(workbook, part: "xl/workbook.xml") { event throws(SheetError) in
            if id == nil, case .start(let name, let attributes, _) = event, XMLReader.localName(name) == "sheet" {
                id = attributes.first { XMLReader.localName($0.key) == "id" && $0.key != "sheetId" }?.value ?? ""
            }
        }
        return id
    }

    private static func relationships(_ bytes: [UInt8]) throws(SheetError) -> [String: (target: String, type: String)] {
        var result: [String: (target: String, type: String)] = [:]
        try XMLReader.read(bytes, part: "xl/_rels/workbook.xml.rels") { event throws(SheetError) in
            if case .start(let name, let attributes, _) = event, XMLReader.localName(name) == "Relationship",
                let id = attributes["Id"], let target = attributes["Target"]
            {
                result[id] = (target, attributes["Type"] ?? "")
            }
        }
        return result
    }

    /// The shared string table: each `<si>`'s text runs joined (phonetic runs left out).
    private static func sharedStrings(_ bytes: [UInt8], limits: SheetLimits) throws(SheetError) -> [String] {
        var strings: [String] = []
        var current: String?
        var inText = false
        var phonetic = 0
        try XMLReader.read(bytes, part: "xl/sharedStrings.xml") { event throws(SheetError) in
            switch event {
            case .start(let name, _, let selfClosing):
                switch XMLReader.localName(name) {
                case "si": current = ""
                case "t": inText = !selfClosing
                case "rPh": if !selfClosing { phonetic += 1 }
                default: break
                }
            case .end(let name):
                switch XMLReader.localName(name) {
                case "si":
                    strings.append(current ?? "")
                    current = nil
                    guard strings.count <= limits.maximumRows * limits.maximumColumns else {
                        throw SheetError(
                            "The workbook holds more text than a sheet of \(limits.maximumRows - 1) servers could."
                        )
                    }
                case "t": inText = false
                case "rPh": phonetic -= 1
                default: break
                }
            case .text(let text):
                if inText, phonetic == 0, current != nil { current! += text }
            }
        }
        return strings
    }

    private static func rows(of bytes: [UInt8], part: String, sharedStrings: [String], limits: SheetLimits)
        throws(SheetError) -> [SheetRow]
    {
        var cells: [Int: [Int: String]] = [:]
        var rowNumber = 0
        var cell: (column: Int, type: String, reference: String)?
        var value = ""
        var collecting = false
        var nextColumn = 0
        try XMLReader.read(bytes, part: part) { event throws(SheetError) in
            switch event {
            case .start(let name, let attributes, let selfClosing):
                switch XMLReader.localName(name) {
                case "row":
                    rowNumber = attributes["r"].flatMap { Int($0) } ?? rowNumber + 1
                    nextColumn = 0
                    guard rowNumber <= limits.maximumRows else {
                        throw SheetError(
                            "The sheet has more than \(limits.maximumRows - 1) rows below the header; split it into several files."
                        )
                    }
                case "c":
                    let reference = attributes["r"] ?? CellReference.name(column: nextColumn, row: rowNumber - 1)
                    guard let position = CellReference.parse(reference) else {
                        throw SheetError("The sheet has a cell with the malformed reference \(reference).")
                    }
                    guard position.column < limits.maximumColumns else {
                        throw SheetError(
                            "The sheet uses column \(CellReference.columnName(position.column)); the server sheet has at most \(limits.maximumColumns) columns."
                        )
                    }
                    guard position.row + 1 <= limits.maximumRows else {
                        throw SheetError(
                            "The sheet has more than \(limits.maximumRows - 1) rows below the header; split it into several files."
                        )
                    }
                    rowNumber = position.row + 1
                    nextColumn = position.column + 1
                    cell = selfClosing ? nil : (position.column, attributes["t"] ?? "n", reference)
                    value = ""
                case "f" where cell != nil:
                    // A formula of a cell; `f` elsewhere (validations, sparklines in extLst) is not a value.
                    throw SheetError(
                        "Cell \(cell?.reference ?? "?") holds a formula; the import takes values only. Paste the values instead (Paste Special, Values)."
                    )
                case "v", "t":
                    collecting = cell != nil && !selfClosing
                default:
                    break
                }
            case .end(let name):
                switch XMLReader.localName(name) {
                case "v", "t":
                    collecting = false
                case "c":
                    guard let current = cell else { break }
                    let text = try Self.cellText(
                        value,
                        type: current.type,
                        reference: current.reference,
                        sharedStrings: sharedStrings
                    )
                    guard text.count <= limits.maximumCellCharacters else {
                        throw SheetError(
                            "Cell \(current.reference) holds more than \(limits.maximumCellCharacters) characters."
                        )
                    }
                    if !text.isEmpty { cells[rowNumber, default: [:]][current.column] = text }
                    cell = nil
                default:
                    break
                }
            case .text(let text):
                if collecting { value += text }
            }
        }
        return cells.keys.sorted().map { number in
            let row = cells[number]!
            let width = (row.keys.max() ?? -1) + 1
            return SheetRow(number: number, cells: (0..<width).map { row[$0] ?? "" })
        }
    }

    private static func cellText(_ value: String, type: String, reference: String, sharedStrings: [String])
        throws(SheetError) -> String
    {
        switch type {
        case "s":
            guard let index = Int(value), sharedStrings.indices.contains(index) else {
                throw SheetError("Cell \(reference) refers to a shared string the workbook does not have.")
            }
            return sharedStrings[index]
        case "b":
            return value == "1" ? "true" : "false"
        case "e":
            throw SheetError("Cell \(reference) holds an error value (\(value)); type the value it should have.")
        default:
            // "n" (numbers, as written), "inlineStr", "str" (a formula's text result: refused at <f>).
            return value
        }
    }
}

/// Counts the bytes inflated from an archive against the limit, whatever the entries declare.
private struct UncompressedBudget {
    let limits: SheetLimits
    var used = 0

    init(limits: SheetLimits) {
        self.limits = limits
    }

    mutating func extract(_ entry: Entry, from archive: Archive) throws(SheetError) -> [UInt8] {
        guard entry.type == .file else { throw SheetError("The workbook part \(entry.path) is not a file.") }
        let remaining = self.limits.maximumUncompressedBytes - self.used
        guard entry.uncompressedSize <= UInt64(max(remaining, 0)) else { throw self.exceeded }
        var bytes: [UInt8] = []
        var overflow = false
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard bytes.count + chunk.count <= remaining else {
                    overflow = true
                    throw SheetError("over the limit")
                }
                bytes.append(contentsOf: chunk)
            }
        } catch {
            if overflow { throw self.exceeded }
            throw SheetError("The workbook part \(entry.path) cannot be read: the archive is damaged.")
        }
        self.used += bytes.count
        return bytes
    }

    private var exceeded: SheetError {
        SheetError(
            "The workbook expands to more than \(self.limits.maximumUncompressedBytes) bytes; it is refused (a sheet of servers is far smaller)."
        )
    }
}

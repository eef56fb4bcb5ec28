/// A table of text cells as Mailgate exchanges it with spreadsheets: the first row is
/// the header. Every cell is text; numbers and dates are written the way people type them.
public struct Sheet: Sendable, Equatable {
    public var name: String
    public var rows: [[String]]
    /// Width of each column in characters (xlsx only).
    public var columnWidths: [Double]
    /// Columns whose cells must be one of a list (xlsx data validation), by column index.
    public var choices: [Int: [String]]

    public init(name: String, rows: [[String]], columnWidths: [Double] = [], choices: [Int: [String]] = [:]) {
        self.name = name
        self.rows = rows
        self.columnWidths = columnWidths
        self.choices = choices
    }
}

/// Why a spreadsheet file was refused. The message says what is wrong in terms the
/// person who made the file understands; nothing from the file's secret cells is quoted.
public struct SheetError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Bounds a file must stay within before and while it is read.
public struct SheetLimits: Sendable {
    /// The file as uploaded.
    public var maximumFileBytes: Int
    /// All parts of an xlsx together, uncompressed (a zip bomb stops here).
    public var maximumUncompressedBytes: Int
    /// Entries in the xlsx archive.
    public var maximumEntries: Int
    public var maximumRows: Int
    public var maximumColumns: Int
    /// One cell's text.
    public var maximumCellCharacters: Int

    public init(
        maximumFileBytes: Int = 5 << 20,
        maximumUncompressedBytes: Int = 32 << 20,
        maximumEntries: Int = 64,
        maximumRows: Int = 10_001,
        maximumColumns: Int = 64,
        maximumCellCharacters: Int = 8_192
    ) {
        self.maximumFileBytes = maximumFileBytes
        self.maximumUncompressedBytes = maximumUncompressedBytes
        self.maximumEntries = maximumEntries
        self.maximumRows = maximumRows
        self.maximumColumns = maximumColumns
        self.maximumCellCharacters = maximumCellCharacters
    }
}

/// One non-empty row read from a file: its number as the spreadsheet shows it (the
/// header is row 1) and its cells, trailing empty ones dropped.
public struct SheetRow: Sendable, Equatable {
    public var number: Int
    public var cells: [String]

    public init(number: Int, cells: [String]) {
        self.number = number
        self.cells = cells
    }
}

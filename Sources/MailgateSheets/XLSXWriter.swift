import Foundation
import ZIPFoundation

/// Writes sheets as an Office Open XML workbook (.xlsx) that Excel and LibreOffice open:
/// text cells as inline strings (never formulas), a bold frozen header row, column
/// widths, and list validations (a drop-down) on the columns that have choices.
public enum XLSXWriter {
    /// Validations reach this many rows below the header (as many as an import takes), so
    /// rows people add get the drop-down too.
    static let validatedRows = 10_000

    public static func workbook(_ sheets: [Sheet]) throws -> Data {
        let archive = try Archive(accessMode: .create)
        var parts: [(String, String)] = [
            ("[Content_Types].xml", self.contentTypes(sheetCount: sheets.count)),
            ("_rels/.rels", self.packageRelationships),
            ("docProps/app.xml", self.appProperties),
            ("xl/workbook.xml", self.workbookPart(sheets)),
            ("xl/_rels/workbook.xml.rels", self.workbookRelationships(sheetCount: sheets.count)),
            ("xl/styles.xml", self.styles),
        ]
        for (index, sheet) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(index + 1).xml", self.worksheet(sheet)))
        }
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
        guard let data = archive.data else { throw SheetError("The workbook could not be assembled.") }
        return data
    }

    private static let declaration = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"

    private static func contentTypes(sheetCount: Int) -> String {
        var text = declaration + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
        text += #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
        text += #"<Default Extension="xml" ContentType="application/xml"/>"#
        text +=
            #"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        text +=
            #"<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
        text +=
            #"<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>"#
        for index in 0..<sheetCount {
            text +=
                #"<Override PartName="/xl/worksheets/sheet\#(index + 1).xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        }
        return text + "</Types>"
    }

    private static let packageRelationships =
        declaration + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        + #"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>"#
        + #"<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>"#
        + "</Relationships>"

    private static let appProperties =
        declaration
        + #"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Mailgate</Application></Properties>"#

    private static func workbookPart(_ sheets: [Sheet]) -> String {
        var text = declaration
        text +=
            #"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#
        for (index, sheet) in sheets.enumerated() {
            text +=
                #"<sheet name="\#(XMLText.escaped(self.sheetName(sheet.name)))" sheetId="\#(index + 1)" r:id="rId\#(index + 1)"/>"#
        }
        return text + "</sheets></workbook>"
    }

    /// Excel's rules for sheet names: at most 31 characters, none of `[]:*?/\`.
    private static func sheetName(_ name: String) -> String {
        let cleaned = String(name.filter { !"[]:*?/\\".contains($0) }.prefix(31))
        return cleaned.isEmpty ? "Sheet" : cleaned
    }

    private static func workbookRelationships(sheetCount: Int) -> String {
        var text =
            declaration + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
        for index in 0..<sheetCount {
            text +=
                #"<Relationship Id="rId\#(index + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet\#(index + 1).xml"/>"#
        }
        text +=
            #"<Relationship Id="rId\#(sheetCount + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#
        return text + "</Relationships>"
    }

    /// Style 0: normal; style 1: bold (the header row); both as text (@), so values such
    /// as port numbers or dates stay as typed.
    private static let styles =
        declaration + #"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
        + #"<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>"#
        + #"<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>"#
        + #"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#
        + #"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#
        + #"<cellXfs count="2"><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>"#
        + #"<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/></cellXfs>"#
        + #"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#
        + "</styleSheet>"

    private static func worksheet(_ sheet: Sheet) -> String {
        var text = declaration
        text += #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#
        text +=
            #"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
        if !sheet.columnWidths.isEmpty {
            text += "<cols>"
            for (index, width) in sheet.columnWidths.enumerated() {
                text += #"<col min="\#(index + 1)" max="\#(index + 1)" width="\#(width)" style="0" customWidth="1"/>"#
            }
            text += "</cols>"
        }
        text += "<sheetData>"
        for (rowIndex, row) in sheet.rows.enumerated() {
            text += #"<row r="\#(rowIndex + 1)">"#
            for (columnIndex, value) in row.enumerated() where !value.isEmpty {
                let style = rowIndex == 0 ? #" s="1""# : ""
                text +=
                    #"<c r="\#(CellReference.name(column: columnIndex, row: rowIndex))"\#(style) t="inlineStr"><is><t xml:space="preserve">\#(XMLText.escaped(value))</t></is></c>"#
            }
            text += "</row>"
        }
        text += "</sheetData>"
        if !sheet.choices.isEmpty {
            text += #"<dataValidations count="\#(sheet.choices.count)">"#
            for (column, values) in sheet.choices.sorted(by: { $0.key < $1.key }) {
                let column = CellReference.columnName(column)
                let list = XMLText.escaped("\"" + values.joined(separator: ",") + "\"")
                text +=
                    #"<dataValidation type="list" allowBlank="1" showErrorMessage="1" errorTitle="Not a listed value" error="Choose one of: \#(XMLText.escaped(values.joined(separator: ", ")))" sqref="\#(column)2:\#(column)\#(self.validatedRows + 1)"><formula1>\#(list)</formula1></dataValidation>"#
            }
            text += "</dataValidations>"
        }
        return text + "</worksheet>"
    }
}

/// A1-style cell references.
public enum CellReference {
    /// `A` for 0, `Z` for 25, `AA` for 26.
    public static func columnName(_ index: Int) -> String {
        var index = index
        var name = ""
        repeat {
            name = String(UnicodeScalar(UInt8(65 + index % 26))) + name
            index = index / 26 - 1
        } while index >= 0
        return name
    }

    static func name(column: Int, row: Int) -> String {
        "\(self.columnName(column))\(row + 1)"
    }

    /// The zero-based column and row of `B12`; nil when it is not a reference.
    static func parse(_ reference: String) -> (column: Int, row: Int)? {
        var column = 0
        var letters = 0
        var digits = Substring()
        for (offset, character) in reference.enumerated() {
            if let ascii = character.asciiValue, (65...90).contains(ascii) || (97...122).contains(ascii) {
                guard digits.isEmpty else { return nil }
                column = column * 26 + Int((ascii & 0xDF) - 64)
                letters += 1
            } else {
                digits = reference.dropFirst(offset)
                break
            }
        }
        guard letters > 0, letters <= 3, let row = Int(digits), row >= 1 else { return nil }
        return (column - 1, row - 1)
    }
}

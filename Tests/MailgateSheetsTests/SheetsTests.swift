import Foundation
import MailgateSheets
import Testing
import ZIPFoundation

@Suite("Spreadsheets: xlsx and CSV")
struct SheetsTests {
    static let rows = [
        ["Name", "Host", "Notes"],
        ["relay", "smtp.example.org", "commas, \"quotes\" & <tags>"],
        ["m365", "smtp.office365.com", "line one\nline two"],
        ["=SUM(A1)", "", "é ü ✓"],
    ]

    /// An .xlsx archive of the given parts (path → XML text), as a hostile or odd producer would make it.
    static func workbook(_ parts: [String: String], method: CompressionMethod = .deflate) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for (path, text) in parts.sorted(by: { $0.key < $1.key }) {
            let data = Data(text.utf8)
            try archive.addEntry(
                with: path,
                type: .file,
                uncompressedSize: Int64(data.count),
                compressionMethod: method
            ) { position, size in
                data.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return try #require(archive.data)
    }

    static func sheet(_ sheetData: String) -> [String: String] {
        [
            "xl/workbook.xml":
                #"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            "xl/_rels/workbook.xml.rels":
                #"<Relationships><Relationship Id="rId1" Type="t/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            "xl/worksheets/sheet1.xml": "<worksheet><sheetData>\(sheetData)</sheetData></worksheet>",
        ]
    }

    @Test("an xlsx workbook reads back cell for cell, with row numbers, empty cells kept in place")
    func xlsxRoundTrip() throws {
        var rows = Self.rows
        rows.append(["", "", ""])
        rows.append(["last", "", "after an empty row"])
        let data = try XLSXWriter.workbook([
            Sheet(name: "Servers", rows: rows, choices: [1: ["a", "b"]]), Sheet(name: "Columns", rows: [["x"]]),
        ])
        let read = try XLSXReader.firstSheet(data)
        #expect(read.map(\.cells) == Array(Self.rows) + [["last", "", "after an empty row"]])
        #expect(read.map(\.number) == [1, 2, 3, 4, 6])
    }

    @Test("shared strings, rich text runs, numbers and booleans as Excel and LibreOffice save them")
    func sharedStrings() throws {
        var parts = Self.sheet(
            #"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row><row r="2"><c r="A2"><v>587</v></c><c r="B2" t="b"><v>1</v></c></row>"#
        )
        parts["xl/sharedStrings.xml"] =
            #"<sst><si><t>Name</t></si><si><r><t>Ho</t></r><r><t xml:space="preserve">st &amp; port</t></r><rPh><t>ignored</t></rPh></si></sst>"#
        parts["xl/_rels/workbook.xml.rels"] =
            #"<Relationships><Relationship Id="rId1" Type="t/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://x/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
        let read = try XLSXReader.firstSheet(try Self.workbook(parts))
        #expect(read.map(\.cells) == [["Name", "", "Host & port"], ["587", "true"]])
    }

    @Test(
        "hostile and broken workbooks are refused with a clear reason",
        arguments: [
            ("formula", #"<row r="1"><c r="A1"><f>SUM(B1:B2)</f><v>3</v></c></row>"#, "formula"),
            ("error cell", #"<row r="1"><c r="A1" t="e"><v>#REF!</v></c></row>"#, "error value"),
            ("too many rows", #"<row r="20000"><c r="A20000" t="inlineStr"><is><t>x</t></is></c></row>"#, "rows"),
            ("too many columns", #"<row r="1"><c r="ZZ1" t="inlineStr"><is><t>x</t></is></c></row>"#, "column"),
            ("bad reference", #"<row r="1"><c r="1A" t="inlineStr"><is><t>x</t></is></c></row>"#, "reference"),
            ("unclosed tag", #"<row r="1"><c r="A1" t="inlineStr"><is><t>x"#, "XML"),
            (
                "NUL character reference", #"<row r="1"><c r="A1" t="inlineStr"><is><t>a&#0;b</t></is></c></row>"#,
                "not a character XML allows"
            ),
            ("deep nesting", String(repeating: "<x>", count: 100) + String(repeating: "</x>", count: 100), "deeper"),
        ]
    )
    func refusedSheets(name: String, sheetData: String, expected: String) throws {
        let data = try Self.workbook(Self.sheet(sheetData))
        let error = #expect(throws: SheetError.self) { try XLSXReader.firstSheet(data) }
        #expect(error?.description.contains(expected) == true, "\(name): \(error?.description ?? "")")
    }

    @Test("an f element outside a cell (a list validation Excel keeps in extLst) is no formula")
    func formulaOutsideCells() throws {
        var parts = Self.sheet(#"<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>"#)
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"]!.replacingOccurrences(
            of: "</worksheet>",
            with:
                #"<extLst><ext uri="x"><x14:dataValidations xmlns:x14="x14" xmlns:xm="xm"><x14:dataValidation><x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1></x14:dataValidation></x14:dataValidations></ext></extLst></worksheet>"#
        )
        #expect(try XLSXReader.firstSheet(try Self.workbook(parts)).map(\.cells) == [["Name"]])
    }

    @Test("a document type declaration (entity expansion) is refused before anything expands")
    func billionLaughs() throws {
        var parts = Self.sheet("")
        parts["xl/worksheets/sheet1.xml"] =
            #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"#
        let error = #expect(throws: SheetError.self) { try XLSXReader.firstSheet(try Self.workbook(parts)) }
        #expect(error?.description.contains("document type declarations") == true)
    }

    @Test("a zip bomb stops at the uncompressed limit, whatever its entries declare")
    func zipBomb() throws {
        var parts = Self.sheet("")
        // 4 MiB of one character deflates to a few kilobytes; the limit here is 1 MiB (the
        // server's 32 MiB is exercised by the integration test).
        parts["xl/worksheets/sheet1.xml"] =
            "<worksheet><sheetData>" + String(repeating: " ", count: 4 << 20) + "</sheetData></worksheet>"
        let data = try Self.workbook(parts)
        #expect(data.count < 64 << 10)
        let error = #expect(throws: SheetError.self) {
            try XLSXReader.firstSheet(data, limits: SheetLimits(maximumUncompressedBytes: 1 << 20))
        }
        #expect(error?.description.contains("expands to more than") == true)
    }

    @Test("files that are not workbooks: plain text, a zip without a workbook, a truncated archive, an oversized file")
    func notWorkbooks() throws {
        #expect(throws: SheetError.self) { try XLSXReader.firstSheet(Data("Name,Host\nrelay,smtp\n".utf8)) }
        let noWorkbook = try Self.workbook(["readme.txt": "hello"])
        let error = #expect(throws: SheetError.self) { try XLSXReader.firstSheet(noWorkbook) }
        #expect(error?.description.contains("xl/workbook.xml") == true)
        let whole = try XLSXWriter.workbook([Sheet(name: "S", rows: Self.rows)])
        #expect(throws: SheetError.self) { try XLSXReader.firstSheet(whole.prefix(whole.count / 2)) }
        let tooBig = #expect(throws: SheetError.self) {
            try XLSXReader.firstSheet(whole, limits: SheetLimits(maximumFileBytes: 100))
        }
        #expect(tooBig?.description.contains("at most 100") == true)
    }

    @Test("CSV round trip: quotes, commas, line breaks, a byte order mark for Excel, formula-like values protected")
    func csvRoundTrip() throws {
        let data = CSV.write(Self.rows)
        #expect(data.starts(with: [0xEF, 0xBB, 0xBF]))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("'=SUM(A1)"), "a spreadsheet shows it as text")
        #expect(try CSV.read(data).map(\.cells) == Self.rows)
    }

    @Test(
        "CSV: values a spreadsheet would run after a leading TAB or carriage return are protected too, and read back as given",
        arguments: ["\t=HYPERLINK(\"http://x\")", "\r=1+1", "\r\n@SUM(A1)", "+1", "-2", "@me"]
    )
    func csvFormulaTriggers(value: String) throws {
        let data = CSV.write([["Name"], [value]])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("'" + value.prefix(1)), "\(text.debugDescription) is not protected")
        #expect(try CSV.read(data).last?.cells == [value])
    }

    @Test("CSV: a formula after a leading TAB is refused like one at the start")
    func csvHiddenFormula() {
        let refused = #expect(throws: SheetError.self) { try CSV.read(Data("Name\n\t=HYPERLINK(\"http://x\")\n".utf8)) }
        #expect(refused?.description.contains("formula") == true)
        // A quoted cell starting with CRLF ("\r\n" is one Character) hides a formula too.
        let afterLineBreak = #expect(throws: SheetError.self) {
            try CSV.read(Data("Name\n\"\r\n=1+1\"\n".utf8))
        }
        #expect(afterLineBreak?.description.contains("formula") == true)
    }

    @Test(
        "CSV: CRLF or LF, empty lines skipped with their numbers kept, a formula refused, an open quote refused, a zip refused"
    )
    func csvReading() throws {
        let rows = try CSV.read(Data("Name,Host\r\nrelay,smtp.example.org\n\n\"a,b\",\"x\"\"y\"\n".utf8))
        #expect(
            rows == [
                SheetRow(number: 1, cells: ["Name", "Host"]),
                SheetRow(number: 2, cells: ["relay", "smtp.example.org"]), SheetRow(number: 4, cells: ["a,b", "x\"y"]),
            ]
        )
        let formula = #expect(throws: SheetError.self) { try CSV.read(Data("Name\n=HYPERLINK(\"http://x\")\n".utf8)) }
        #expect(formula?.description.contains("formula") == true)
        #expect(throws: SheetError.self) { try CSV.read(Data("Name\n\"open,\n".utf8)) }
        #expect(throws: SheetError.self) { try CSV.read(try XLSXWriter.workbook([Sheet(name: "S", rows: Self.rows)])) }
        #expect(throws: SheetError.self) { try CSV.read(Data([0x4E, 0xFF, 0xFE, 0x0A])) }
        let many = Data(String(repeating: "x\n", count: 20_000).utf8)
        #expect(throws: SheetError.self) { try CSV.read(many) }
    }
}

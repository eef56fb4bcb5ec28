import Foundation
import MailgateCore
import MailgateTestSupport
import Testing

/// Domain names against Unicode's own IDNA conformance cases (IdnaTestV2.txt, toASCII), through
/// `DomainName`: libidn2's UTS #46 processing with Mailgate's STD3 and A-label checks on top.
@Suite("IDNA conformance (UTS #46 test vectors)")
struct IDNAConformanceTests {
    struct Case {
        let line: Int
        let source: String
        /// nil: UTS #46 refuses the name.
        let expected: String?
    }

    static func cases() throws -> [Case] {
        let file = repositoryRoot().appendingPathComponent("Tests/MailgateCoreTests/Fixtures/uts46-vectors.tsv")
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { row in
            guard !row.hasPrefix("#") else { return nil }
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let line = Int(fields[0]) else { return nil }
            return Case(line: line, source: String(fields[1]), expected: fields[2] == "!" ? nil : String(fields[2]))
        }
    }

    /// Where Mailgate answers otherwise, on purpose or by libidn2 2.3's limits; any other
    /// difference fails the test.
    enum KnownDeviation: String {
        /// A trailing root dot (`example.com.`) is taken as the fully qualified name; UTS #46's
        /// DNS length check refuses the empty root label.
        case rootDot = "root dot accepted"
        /// RFC 5893's Bidi rule is not checked by libidn2: a right-to-left label mixing digit
        /// kinds is accepted. Such a name cannot be registered, so it never resolves.
        case bidiRule = "Bidi rule not checked"
        /// U+1E9E (ẞ) maps to `ss` in the Unicode tables libidn2 2.3 carries; to `ß` since
        /// Unicode 15.1.
        case capitalSharpS = "ẞ maps to ss"
        /// A label of letters, digits and hyphens with `--` in third and fourth place is kept
        /// (UTS #46's CheckHyphens off, as in browsers): `r3---sn-abc` is a real host name.
        case reservedHyphens = "LDH label with -- kept"
        /// Characters newer than libidn2's tables, or whose status changed since (Georgian
        /// capitals, some Arabic and Adlam letters): refused, never converted wrongly.
        case newerUnicode = "refused: newer Unicode than libidn2's tables"

        /// The deviation `result` is, when it is one of the known ones and as that one must look.
        static func of(line: Int, source: String, result: String?) -> Self? {
            if let result, let last = source.unicodeScalars.last, [".", "。", "．", "｡"].contains(last) {
                // The same answer as for the name without its root dot.
                let withoutDot = String(String.UnicodeScalarView(source.unicodeScalars.dropLast()))
                return DomainName(withoutDot)?.ascii == result ? .rootDot : nil
            }
            if let result, result.split(separator: ".").contains(where: Self.isReservedLDH),
                result.split(separator: ".").filter(Self.isReservedLDH).allSatisfy({ source.lowercased().contains($0) })
            {
                return .reservedHyphens
            }
            if [128, 129, 130, 131, 132, 135, 136, 137, 138, 139, 489, 490, 541, 542, 3447].contains(line),
                let result, DomainName(result)?.ascii == result
            {
                return .bidiRule
            }
            if [229, 230].contains(line), result == "fass.de" { return .capitalSharpS }
            let newer = [
                556, 925, 926, 928, 932, 935, 938, 2930, 2931, 2932, 2933, 3169, 3170, 3539, 3541, 3543, 4055,
                4057, 4062, 4650, 4749, 6193, 6195, 6197, 6200, 6201,
            ]
            if result == nil, newer.contains(line) { return .newerUnicode }
            return nil
        }

        private static func isReservedLDH(_ label: Substring) -> Bool {
            label.count >= 4 && !label.hasPrefix("xn--") && label.dropFirst(2).hasPrefix("--")
        }
    }

    @Test("every case gives the conformance file's answer, but for the deviations listed and explained here")
    func vectors() throws {
        let cases = try Self.cases()
        #expect(cases.count > 6000)
        var agreed = 0
        var known: [KnownDeviation: Int] = [:]
        for testCase in cases {
            let ascii = DomainName(testCase.source)?.ascii
            if ascii == testCase.expected?.lowercased() {
                agreed += 1
            } else if let deviation = KnownDeviation.of(line: testCase.line, source: testCase.source, result: ascii) {
                known[deviation, default: 0] += 1
            } else {
                Issue.record(
                    "IdnaTestV2 line \(testCase.line): \(testCase.source) gave \(ascii ?? "a refusal"), not \(testCase.expected ?? "a refusal")"
                )
            }
        }
        // The known deviations stay few: 59 of 6,331 with libidn2 2.3.3.
        #expect(known.values.reduce(0, +) < 80, "\(known)")
        #expect(agreed > 6250)
    }

    @Test(
        "what the conformance file makes plain, by name",
        arguments: [
            ("faß.de", "xn--fa-hia.de"),  // non-transitional: ß kept
            ("ＥＸＡＭＰＬＥ．ｃｏｍ", "example.com"),  // fullwidth forms and full stop mapped
            ("bücher。example", "xn--bcher-kva.example"),  // ideographic full stop separates labels
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),  // a valid A-label stays
            ("R3---SN-abc.example", "r3---sn-abc.example"),  // LDH labels stay, -- included
        ]
    )
    func mapped(source: String, ascii: String) throws {
        #expect(try #require(DomainName(source)).ascii == ascii)
    }

    @Test(
        "refused: what IDNA2008 forbids, and what libidn2's own STD3 flag would have silently dropped",
        arguments: [
            "\u{0640}x.example",  // U+0640 TATWEEL (IDNA2008: DISALLOWED)
            "a_b.example",  // libidn2's STD3 flag turns this into ab.example
            "a\u{FF3F}b.example",  // fullwidth low line: _ once mapped
            "\u{226E}7.example",  // ≮ decomposes to < and a combining mark
            "\u{2477}.example",  // ⑷ is "(4)"
            "xn--1ch.example",  // an A-label for ≠
            "xn--zz.example",  // not Punycode at all
            "a b.example",
            "",
        ]
    )
    func refused(source: String) {
        #expect(DomainName(source) == nil)
    }
}

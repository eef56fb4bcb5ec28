/// A small, strict XML reader for the parts of an xlsx file: elements, attributes, text,
/// CDATA, comments and processing instructions. Document type declarations are refused
/// outright, so no entity can expand (no "billion laughs", no external entities).
/// Element and attribute names keep their prefix; `localName` drops it.
struct XMLReader {
    enum Event: Equatable {
        case start(name: String, attributes: [String: String], selfClosing: Bool)
        case end(name: String)
        case text(String)
    }

    private let bytes: [UInt8]
    private var index = 0
    private let part: String

    /// `part` names the file in errors, e.g. `xl/worksheets/sheet1.xml`.
    init(_ bytes: [UInt8], part: String) {
        self.bytes = bytes
        self.part = part
    }

    static func localName(_ name: String) -> Substring {
        name.split(separator: ":", maxSplits: 1).last ?? Substring(name)
    }

    /// Hands `body` each event of the document as it is read (nothing is collected), checking
    /// that tags nest and close, and refusing more than `maximumElements` elements or a
    /// nesting deeper than `maximumDepth`: a small compressed part cannot turn into millions
    /// of retained events.
    static func read(
        _ bytes: [UInt8],
        part: String,
        maximumElements: Int = 2_000_000,
        maximumDepth: Int = 64,
        _ body: (Event) throws(SheetError) -> Void
    ) throws(SheetError) {
        var reader = XMLReader(bytes, part: part)
        var open: [String] = []
        var elements = 0
        while let event = try reader.next() {
            switch event {
            case .start(let name, _, let selfClosing):
                elements += 1
                guard elements <= maximumElements else {
                    throw SheetError("The workbook part \(part) has more than \(maximumElements) elements.")
                }
                if !selfClosing {
                    open.append(name)
                    guard open.count <= maximumDepth else {
                        throw reader.failure("elements nest deeper than \(maximumDepth) levels")
                    }
                }
            case .end(let name):
                guard open.popLast() == name else { throw reader.failure("</\(name)> does not close the open tag") }
            case .text:
                break
            }
            try body(event)
        }
        if let unclosed = open.last { throw reader.failure("<\(unclosed)> is never closed") }
    }

    mutating func next() throws(SheetError) -> Event? {
        while self.index < self.bytes.count {
            if self.bytes[self.index] != UInt8(ascii: "<") {
                let start = self.index
                while self.index < self.bytes.count, self.bytes[self.index] != UInt8(ascii: "<") { self.index += 1 }
                return .text(try self.decodeText(self.bytes[start..<self.index]))
            }
            if self.hasPrefix("<?") {
                try self.skip(past: "?>")
            } else if self.hasPrefix("<!--") {
                try self.skip(past: "-->")
            } else if self.hasPrefix("<![CDATA[") {
                self.index += 9
                let start = self.index
                try self.skip(past: "]]>")
                return .text(String(decoding: self.bytes[start..<(self.index - 3)], as: UTF8.self))
            } else if self.hasPrefix("<!") {
                throw self.failure("document type declarations are not accepted")
            } else if self.hasPrefix("</") {
                self.index += 2
                let name = self.readName()
                self.skipSpace()
                guard self.consume(">") else { throw self.failure("a closing tag is malformed") }
                return .end(name: name)
            } else {
                self.index += 1
                return try self.readStartTag()
            }
        }
        return nil
    }

    private mutating func readStartTag() throws(SheetError) -> Event {
        let name = self.readName()
        guard !name.isEmpty else { throw self.failure("a tag has no name") }
        var attributes: [String: String] = [:]
        while true {
            self.skipSpace()
            if self.consume("/>") { return .start(name: name, attributes: attributes, selfClosing: true) }
            if self.consume(">") { return .start(name: name, attributes: attributes, selfClosing: false) }
            let attribute = self.readName()
            self.skipSpace()
            guard !attribute.isEmpty, self.consume("=") else {
                throw self.failure("an attribute of <\(name)> is malformed")
            }
            self.skipSpace()
            guard self.index < self.bytes.count else { throw self.failure("the file ends inside <\(name)>") }
            let quote = self.bytes[self.index]
            guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw self.failure("an attribute value of <\(name)> is not quoted")
            }
            self.index += 1
            let start = self.index
            while self.index < self.bytes.count, self.bytes[self.index] != quote { self.index += 1 }
            guard self.index < self.bytes.count else { throw self.failure("the file ends inside <\(name)>") }
            attributes[attribute] = try self.decodeText(self.bytes[start..<self.index])
            self.index += 1
        }
    }

    private mutating func readName() -> String {
        let start = self.index
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
            {
                break
            }
            self.index += 1
        }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }

    /// Text with the five predefined entities and character references resolved.
    private func decodeText(_ slice: ArraySlice<UInt8>) throws(SheetError) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        var result = ""
        var position = slice.startIndex
        while position < slice.endIndex {
            guard let ampersand = slice[position...].firstIndex(of: UInt8(ascii: "&")) else {
                result += String(decoding: slice[position...], as: UTF8.self)
                break
            }
            result += String(decoding: slice[position..<ampersand], as: UTF8.self)
            guard let semicolon = slice[ampersand...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw self.failure("an '&' is not followed by an entity")
            }
            let entity = String(decoding: slice[(ampersand + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "lt": result += "<"
            case "gt": result += ">"
            case "amp": result += "&"
            case "quot": result += "\""
            case "apos": result += "'"
            default:
                let number: UInt32? =
                    entity.hasPrefix("#x")
                    ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                // Only characters XML may carry: no NUL or other C0 controls but tab and line breaks.
                guard let number, let scalar = Unicode.Scalar(number),
                    number == 0x9 || number == 0xA || number == 0xD || (0x20...0xD7FF).contains(number)
                        || (0xE000...0xFFFD).contains(number) || number >= 0x10000
                else {
                    throw self.failure("the entity &\(entity); is not a character XML allows")
                }
                result.unicodeScalars.append(scalar)
            }
            position = semicolon + 1
        }
        return result
    }

    private func hasPrefix(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { return false }
        return text.withUTF8Buffer { prefix in
            (0..<count).allSatisfy { self.bytes[self.index + $0] == prefix[$0] }
        }
    }

    private mutating func consume(_ text: StaticString) -> Bool {
        guard self.hasPrefix(text) else { return false }
        self.index += text.utf8CodeUnitCount
        return true
    }

    private mutating func skip(past text: StaticString) throws(SheetError) {
        while self.index < self.bytes.count {
            if self.consume(text) { return }
            self.index += 1
        }
        throw self.failure("the file ends inside a comment, CDATA section or declaration")
    }

    private mutating func skipSpace() {
        while self.index < self.bytes.count,
            [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(
                self.bytes[self.index]
            )
        {
            self.index += 1
        }
    }

    private func failure(_ problem: String) -> SheetError {
        SheetError("The workbook part \(self.part) is not well-formed XML: \(problem).")
    }
}

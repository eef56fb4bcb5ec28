import Foundation
import MailgateCore

/// The fields of a submitted form, `application/x-www-form-urlencoded` or
/// `multipart/form-data` (RFC 7578), and the files of the latter.
struct FormBody: Sendable {
    var fields: [String: String] = [:]
    var files: [String: UploadedFile] = [:]

    /// A file from a multipart form.
    struct UploadedFile: Sendable {
        var fileName: String
        var contentType: String
        var data: Data
    }

    subscript(_ name: String) -> String { self.fields[name] ?? "" }

    /// Whether a checkbox named `name` was ticked.
    func isChecked(_ name: String) -> Bool { !(self.fields[name] ?? "").isEmpty }

    /// Parses `body` by its content type; nil when the type is neither form encoding or a
    /// multipart body is malformed.
    init?(contentType: String?, body: Data) {
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("application/x-www-form-urlencoded") {
            self.fields = FormEncoding.decode(String(decoding: body, as: UTF8.self))
        } else if type.hasPrefix("multipart/form-data") {
            guard let boundary = Self.boundary(in: contentType ?? ""),
                let parsed = Self.multipart(body, boundary: boundary)
            else { return nil }
            self = parsed
        } else if body.isEmpty {
            return
        } else {
            return nil
        }
    }

    init() {}

    static func boundary(in contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = String(pair[1])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// The parts between `--boundary` lines: headers, a blank line, the content.
    static func multipart(_ body: Data, boundary: String) -> FormBody? {
        let delimiter = Data("--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        var form = FormBody()
        var cursor = body.startIndex
        guard let first = body.range(of: delimiter, in: cursor..<body.endIndex) else { return nil }
        cursor = first.upperBound
        while true {
            // "--" after a delimiter ends the body; otherwise CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { return form }
            guard body[cursor...].starts(with: Data("\r\n".utf8)) else { return nil }
            cursor += 2
            guard let headersRange = body.range(of: headerEnd, in: cursor..<body.endIndex),
                let next = body.range(of: Data("\r\n".utf8) + delimiter, in: headersRange.upperBound..<body.endIndex)
            else { return nil }
            let headers = String(decoding: body[cursor..<headersRange.lowerBound], as: UTF8.self)
            let content = body[headersRange.upperBound..<next.lowerBound]
            var name: String?
            var fileName: String?
            var contentType = "application/octet-stream"
            for line in headers.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    name = Self.parameter("name", in: line)
                    fileName = Self.parameter("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            if let name {
                if let fileName {
                    form.files[name] = UploadedFile(fileName: fileName, contentType: contentType, data: Data(content))
                } else {
                    form.fields[name] = String(decoding: content, as: UTF8.self)
                }
            }
            cursor = next.upperBound
        }
    }

    /// `name="value"` in a Content-Disposition header.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            var value = String(pair[1])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }
}

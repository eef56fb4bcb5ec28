import Foundation
import MailgateTestSupport
import Testing
import Yams

/// The files under `deploy/`, parsed: Kubernetes objects by kind, the Dockerfile's
/// instructions, the systemd unit's settings.
enum DeployFiles {
    static var folder: URL { repositoryRoot().appendingPathComponent("deploy") }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: self.folder.appendingPathComponent(path), encoding: .utf8)
    }

    /// Every document of every YAML file under `kubernetes/`, keyed by file name.
    static func kubernetesDocuments() throws -> [(file: String, object: [String: Any])] {
        let folder = self.folder.appendingPathComponent("kubernetes")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
        var documents: [(String, [String: Any])] = []
        for file in files {
            var sequence = try Yams.load_all(yaml: try self.text("kubernetes/\(file)"))
            while let document = sequence.next() {
                guard let object = document as? [String: Any] else {
                    throw TestEnvironmentError("\(file): a document that is not a mapping")
                }
                documents.append((file, object))
            }
            if let error = sequence.error { throw TestEnvironmentError("\(file): \(error)") }
        }
        return documents
    }

    /// The one document of a YAML file under `deploy/` (e.g. `kubernetes/ingress/ingress.yaml`).
    static func document(_ path: String) throws -> [String: Any] {
        try #require(try Yams.load(yaml: try self.text(path)) as? [String: Any], "\(path) is a mapping")
    }

    /// The one object of `kind` (and `name`, when given).
    static func object(_ kind: String, named name: String? = nil, in documents: [(file: String, object: [String: Any])])
        throws -> [String: Any]
    {
        let matches = documents.map(\.object).filter {
            $0["kind"] as? String == kind
                && (name == nil || ($0["metadata"] as? [String: Any])?["name"] as? String == name)
        }
        return try #require(matches.count == 1 ? matches.first : nil, "exactly one \(kind)")
    }

    /// The Dockerfile's instructions in order, continuation lines joined, comments dropped.
    static func dockerInstructions() throws -> [(keyword: String, arguments: String)] {
        var instructions: [(String, String)] = []
        var pending = ""
        for line in try self.text("Dockerfile").split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty, trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasSuffix("\\") {
                pending += trimmed.dropLast() + " "
                continue
            }
            let whole = pending + trimmed
            pending = ""
            let keyword = whole.prefix { !$0.isWhitespace }
            instructions.append(
                (keyword.uppercased(), whole.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces))
            )
        }
        return instructions
    }

    /// `Key=value` settings of the systemd unit, every value of repeated keys kept.
    static func systemdSettings(_ unit: String = "mailgate.service") throws -> [String: [String]] {
        var settings: [String: [String]] = [:]
        for line in try self.text("systemd/\(unit)").split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix("["), let equals = trimmed.firstIndex(of: "=") else {
                continue
            }
            settings[String(trimmed[..<equals]), default: []].append(String(trimmed[trimmed.index(after: equals)...]))
        }
        return settings
    }
}

extension Dictionary where Key == String, Value == Any {
    /// The value at a dotted path of mapping keys, e.g. `spec.template.spec`.
    func at(_ path: String) -> Any? {
        var current: Any? = self
        for key in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(key)]
        }
        return current
    }

    func mapping(_ path: String) -> [String: Any] { self.at(path) as? [String: Any] ?? [:] }
    func list(_ path: String) -> [[String: Any]] { self.at(path) as? [[String: Any]] ?? [] }
    func string(_ path: String) -> String? { self.at(path) as? String }
}

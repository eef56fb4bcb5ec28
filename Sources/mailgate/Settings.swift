import Foundation

/// Resolves a setting: the flag if given, else the environment variable, else the
/// `--config-file` entry of the same name (`NAME=value` lines), else the default.
struct Settings {
    let environment: [String: String]
    let file: [String: String]

    init(configFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
        guard let path = configFile ?? environment["MAILGATE_CONFIG_FILE"] else {
            self.file = [:]
            return
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError("Cannot read the configuration file \(path).")
        }
        var entries: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "="), line.hasPrefix("MAILGATE_") else {
                throw ConfigurationError("\(path):\(number + 1): expected MAILGATE_NAME=value.")
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            entries[String(line[..<equals]).trimmingCharacters(in: .whitespaces)] = value
        }
        self.file = entries
    }

    func value(_ flag: String?, _ name: String) -> String? {
        flag ?? self.environment[name] ?? self.file[name]
    }
}

/// A configuration problem: printed as is, exit status 78 (EX_CONFIG).
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

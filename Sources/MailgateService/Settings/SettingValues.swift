import Foundation

/// The values of settings as one run sees them: a flag if given, else the environment
/// variable, else the `MAILGATE_NAME=value` line of the configuration file, else the
/// setting's default. Typed readers validate and name the setting in their errors.
public struct SettingValues: Sendable {
    private let flags: [String: String]
    private let environment: [String: String]
    private let file: [String: String]

    /// Values from `flags` (given ones only), `environment` and the configuration file
    /// that `--config-file` or `MAILGATE_CONFIG_FILE` names.
    public init(
        flags: [Setting: String?] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) {
        self.flags = Dictionary(
            flags.compactMap { setting, value in value.map { (setting.environment, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
        self.environment = environment
        let path = self.flags[SettingsTable.configFile.environment] ?? environment[SettingsTable.configFile.environment]
        self.file = try path.map(Self.readConfigurationFile) ?? [:]
    }

    /// The value given for `setting`, or its default; nil when neither exists.
    public subscript(_ setting: Setting) -> String? {
        self.given(setting) ?? setting.defaultValue
    }

    /// The value given for `setting` by a flag, the environment or the file; nil when none did.
    public func given(_ setting: Setting) -> String? {
        self.flags[setting.environment] ?? self.environment[setting.environment] ?? self.file[setting.environment]
    }

    /// A whole number of at least `minimum`; nil when neither given nor defaulted.
    public func integer(_ setting: Setting, minimum: Int = 1) throws(ConfigurationError) -> Int? {
        guard let text = self[setting] else { return nil }
        guard let value = Int(text), value >= minimum else {
            throw ConfigurationError("\(setting) must be a whole number of at least \(minimum).")
        }
        return value
    }

    /// `integer` as seconds.
    public func seconds(_ setting: Setting, minimum: Int = 1) throws(ConfigurationError) -> Duration? {
        try self.integer(setting, minimum: minimum).map { .seconds($0) }
    }

    private static func readConfigurationFile(_ path: String) throws(ConfigurationError) -> [String: String] {
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
        return entries
    }
}

/// A configuration problem, said so that the operator knows which setting to fix;
/// `mailgate serve` prints it and exits 78 (EX_CONFIG).
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

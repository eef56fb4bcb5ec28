/// One setting of Mailgate: its environment variable (the name deployments rely on), its
/// flag, its default as the README documents it, and whether `serve` or the CLI's client
/// side reads it. `SettingsTable.all` lists every one; a test holds the README to it.
public struct Setting: Sendable, Hashable, CustomStringConvertible {
    /// Who reads a setting.
    public enum Scope: Sendable, Hashable {
        /// `mailgate serve`.
        case server
        /// The CLI's commands that call a running server.
        case client
    }

    /// `MAILGATE_…`.
    public let environment: String
    /// `--…`, or nil when only the environment (or the configuration file) sets it.
    public let flag: String?
    /// The default in the README's words (`8`, `127.0.0.1:7587`), or nil when there is none.
    public let defaultValue: String?
    public let scope: Scope

    public init(_ environment: String, flag: String?, default defaultValue: String? = nil, scope: Scope = .server) {
        self.environment = environment
        self.flag = flag
        self.defaultValue = defaultValue
        self.scope = scope
    }

    public var description: String { self.environment }
}

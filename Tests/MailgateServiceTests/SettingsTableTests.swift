import Foundation
import MailgateService
import Testing

/// The README's settings table is what operators read; `SettingsTable` is what the code
/// reads. They must say the same.
@Suite("Settings table")
struct SettingsTableTests {
    /// One row of the README's settings table.
    struct Row {
        var names: Set<String>
        var flags: String
        var defaults: String
    }

    static func readmeRows() throws -> [Row] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("| environment | flag | default |") })
        let name = /MAILGATE_[A-Z0-9_]+/
        return lines[(header + 2)...].prefix { $0.hasPrefix("|") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            return Row(
                names: Set(cells[1].matches(of: name).map { String($0.output) }),
                flags: cells[2],
                defaults: cells[3...].joined(separator: "|")
            )
        }
    }

    @Test("the README lists every setting, and no setting the code does not read")
    func sameNames() throws {
        let documented = try Self.readmeRows().reduce(into: Set<String>()) { $0.formUnion($1.names) }
        let read = Set(SettingsTable.all.map(\.environment))
        #expect(documented.subtracting(read).sorted() == [], "in the README, unknown to SettingsTable")
        #expect(read.subtracting(documented).sorted() == [], "in SettingsTable, missing from the README")
    }

    @Test("each setting's row names its flag and its default", arguments: SettingsTable.all)
    func flagAndDefault(_ setting: Setting) throws {
        let row = try #require(try Self.readmeRows().first { $0.names.contains(setting.environment) })
        if let flag = setting.flag {
            #expect(row.flags.contains("`\(flag)`"), "the README row of \(setting) does not name \(flag)")
        } else if row.names.count == 1 {
            #expect(row.flags.contains("—"), "\(setting) has no flag, but its README row names one")
        }
        if let value = setting.defaultValue {
            #expect(
                row.defaults.contains("`\(value)`"),
                "the README row of \(setting) does not give its default \(value)"
            )
        }
    }

    @Test("a flag wins over the environment, the environment over the configuration file, the file over the default")
    func precedence() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-\(UUID()).env")
        try "MAILGATE_WORKERS=3\nMAILGATE_LEASE_SECONDS=\"40\"\n# a comment\n".write(
            to: file,
            atomically: true,
            encoding: .utf8
        )
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = ["MAILGATE_CONFIG_FILE": file.path, "MAILGATE_LEASE_SECONDS": "50"]
        let fromFile = try SettingValues(environment: environment)
        #expect(try fromFile.integer(SettingsTable.workers, minimum: 0) == 3)
        #expect(try fromFile.integer(SettingsTable.leaseSeconds) == 50)
        #expect(try fromFile.integer(SettingsTable.maxRecipients) == 100)
        let flagged = try SettingValues(flags: [SettingsTable.leaseSeconds: "60"], environment: environment)
        #expect(try flagged.integer(SettingsTable.leaseSeconds) == 60)
    }

    @Test("a bad value names its setting")
    func badValues() throws {
        let values = try SettingValues(environment: ["MAILGATE_WORKERS": "-1", "MAILGATE_LISTEN": "nowhere"])
        let workers = #expect(throws: ConfigurationError.self) { try values.integer(SettingsTable.workers, minimum: 0) }
        #expect(workers?.description.contains("MAILGATE_WORKERS") == true)
        let listen = #expect(throws: ConfigurationError.self) { try values.listenAddress(SettingsTable.listen) }
        #expect(listen?.description.contains("MAILGATE_LISTEN") == true)
        let unreadable = #expect(throws: ConfigurationError.self) {
            try SettingValues(environment: ["MAILGATE_CONFIG_FILE": "/nonexistent/mailgate.env"])
        }
        #expect(unreadable?.description.contains("/nonexistent/mailgate.env") == true)
    }

    @Test("start-up and reload read a half-configured TLS pair the same way: refused")
    func halfTLS() throws {
        let values = try SettingValues(environment: ["MAILGATE_TLS_CERT": "/etc/mailgate/cert.pem"])
        let error = #expect(throws: ConfigurationError.self) { try values.rpcTLS() }
        #expect(error?.description == "TLS needs both MAILGATE_TLS_CERT and MAILGATE_TLS_KEY.")
        #expect(try SettingValues(environment: [:]).rpcTLS() == nil)
    }
}

import Foundation
import MailgateService
import MailgateTestSupport
import Testing

/// Every flag `SettingsTable` names is one the built `mailgate` accepts.
@Suite("Settings flags")
struct SettingsFlagsTests {
    static func help(_ arguments: [String]) async throws -> String {
        let (status, output) = try await runProgram(ServeProcessTests.executable, arguments + ["--help"])
        #expect(status == 0)
        return output
    }

    @Test("serve accepts every server setting's flag; the client commands every client setting's")
    func flagsExist() async throws {
        let serve = try await Self.help(["serve"])
        let ping = try await Self.help(["ping"])
        for setting in SettingsTable.all {
            guard let flag = setting.flag else { continue }
            let help = setting.scope == .server ? serve : ping
            #expect(
                help.contains(flag),
                "\(setting): \(flag) is not an option of mailgate \(setting.scope == .server ? "serve" : "ping")"
            )
        }
    }
}

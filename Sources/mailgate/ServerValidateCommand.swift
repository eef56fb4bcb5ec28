import ArgumentParser
import Foundation
import MailgateClient
import MailgateProto
import SwiftProtobuf

extension ServerCommand {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Diagnose a server step by step and send it a test message.",
            discussion: """
                Checks dns, connect, tls, ehlo, token (OAuth), auth and a test message to the sender
                address (or --to), then the server's backlog and whether any delivery worker runs.
                Every failed check says what to do. Exit status: 0 passed (warnings allowed),
                1 a check failed, 2 the call failed.
                """
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "Id or name of the server.") var server: String
        @Flag(help: "Check the connection and credentials only; send nothing.") var noTestMessage = false
        @Option(help: "Send the test message here instead of the sender address.") var to: String?

        func run() async throws {
            var passed = true
            try await runClientCall {
                var request = Mailgate_V1_ValidateServerRequest()
                request.server = self.server
                request.sendTestMessage = !self.noTestMessage
                request.testRecipient = self.to ?? ""
                let timeout = Duration.milliseconds(Int64((self.client.timeout ?? 60) * 1000))
                let response = try await self.client.withClient {
                    try await $0.validateServer(request, timeout: timeout)
                }
                passed = response.ok
                switch self.client.format {
                case .json:
                    var options = JSONEncodingOptions()
                    options.preserveProtoFieldNames = true
                    options.alwaysPrintEnumsAsInts = false
                    print(try response.jsonString(options: options))
                case .table:
                    printValidation(response)
                }
            }
            if !passed { throw ExitCode(1) }
        }
    }
}

/// The checks as lines for people: a mark, the name, the time, what was seen, and for
/// failures and warnings what to do.
func printValidation(_ response: Mailgate_V1_ValidateServerResponse) {
    let width = response.checks.map(\.name.count).max() ?? 0
    for check in response.checks {
        let mark: String =
            switch check.outcome {
            case .ok: "✓"
            case .failed: "✗"
            case .warning: "!"
            default: "-"
            }
        // A check that ran shows its time, "<1 ms" included; a skipped one none.
        let time = check.outcome == .skipped ? "" : check.durationMs > 0 ? "\(check.durationMs) ms" : "<1 ms"
        print(
            "\(mark) \(check.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(time.padding(toLength: 8, withPad: " ", startingAt: 0))  \(check.detail)"
        )
        if !check.remedy.isEmpty {
            let indent = String(repeating: " ", count: width + 14)
            print("\(indent)→ \(check.remedy)" + (check.reason.isEmpty ? "" : " [\(check.reason)]"))
        }
    }
    print("")
    print("result: \(response.summary)")
    if !response.testMessageID.isEmpty { print("test message: \(response.testMessageID)") }
    let oldest = response.oldestQueuedAgeSeconds > 0 ? ", oldest due for \(response.oldestQueuedAgeSeconds) s" : ""
    print(
        "queued: \(response.queuedMessages)\(oldest); delivery worker running: \(response.workerRunning ? "yes" : "no")"
    )
}

import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import Testing

extension MailgateClient {
    /// ValidateServer for `server`, with a test message unless `testMessage` is false.
    func validate(
        _ server: String,
        testMessage: Bool? = nil,
        to recipient: String = "",
        timeout: Duration = .seconds(60)
    ) async throws(RPCError) -> Mailgate_V1_ValidateServerResponse {
        var request = Mailgate_V1_ValidateServerRequest()
        request.server = server
        if let testMessage { request.sendTestMessage = testMessage }
        request.testRecipient = recipient
        return try await self.validateServer(request, timeout: timeout)
    }
}

extension Mailgate_V1_ValidateServerResponse {
    /// The check called `name`.
    func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Mailgate_V1_ValidationCheck
    {
        try #require(
            self.checks.first { $0.name == name },
            "no \(name) check in \(self.checks.map(\.name))",
            sourceLocation: sourceLocation
        )
    }

    /// "name=outcome" for each check, for failure messages.
    var outline: String {
        self.checks.map { "\($0.name)=\($0.outcome) \($0.reason) [\($0.detail)]" }.joined(separator: "\n")
    }
}

import ArgumentParser
import Foundation
import MailgateClient
import MailgateRPC
import SwiftProtobuf

/// `mailgate call METHOD [--data JSON]`: any method of the contract, with the request and the
/// response in protobuf's JSON mapping, for trying a method without writing code.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call any method with a JSON request; prints the JSON response.",
        discussion: """
            METHOD is the full name (/mailgate.v1.Health/WhoAmI) or a unique short one
            (Health/WhoAmI, WhoAmI). The request is protobuf's JSON mapping of the method's
            request message (field names in lowerCamelCase or as in the .proto); --data - reads
            it from standard input. `mailgate call --list` lists the methods.
            Exit status: 0 OK, 2 on an error status (printed with its reason and fields),
            64 for a request that is not valid JSON for the method.
            """
    )

    @Argument(help: "The method, e.g. /mailgate.v1.Health/WhoAmI.")
    var method: String?

    @Option(help: "The request as JSON ('-': read from standard input).")
    var data: String = "{}"

    @Flag(help: "List the methods with their request and response messages.")
    var list = false

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        if self.list {
            for method in MailgateMethods.all {
                print("\(method.name)  \(method.request.protoMessageName) -> \(method.response.protoMessageName)")
            }
            return
        }
        try await runClientCall {
            guard let name = self.method, let method = MailgateMethods.named(name) else {
                throw CLIError("Unknown method \(self.method ?? "(none)"): `mailgate call --list` lists them.")
            }
            let json =
                self.data == "-"
                ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : self.data
            let output = try await self.connection.withClient { client in
                try await Self.invoke(method.name, method.request, method.response, json: json, client: client)
            }
            print(output)
        }
    }

    /// Decodes the request, calls, and encodes the response, with the method's own types.
    static func invoke<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request.Type,
        _ response: Response.Type,
        json: String,
        client: MailgateClient
    ) async throws -> String {
        let decoded: Request
        do {
            decoded = try Request(jsonString: json.isEmpty ? "{}" : json)
        } catch {
            throw CLIError("The request is not a \(Request.protoMessageName) in JSON: \(error)")
        }
        let answer = try await client.call(method, decoded, responseType: Response.self)
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        let compact = try answer.jsonUTF8Data(options: options)
        // Indented for people; the same JSON for scripts.
        let object = try JSONSerialization.jsonObject(with: compact)
        let pretty = try JSONSerialization.data(
            withJSONObject: object,
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        )
        return String(decoding: pretty, as: UTF8.self)
    }
}

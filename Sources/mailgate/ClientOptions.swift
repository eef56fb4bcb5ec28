import ArgumentParser
import MailgateProto
import Foundation
import MailgateClient
import MailgateRPC
import NIOSSL

/// The options every client subcommand shares: where the server is, who calls, and how
/// the result is printed.
struct ClientOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Output format: table for people, json for scripts.")
    var format: OutputFormat = .table

    var timeout: Double? { self.connection.timeout }
    var tenant: String? { self.connection.tenant }

    /// Runs `body` with a connected client and closes it afterwards.
    func withClient<Result: Sendable>(_ body: (MailgateClient) async throws -> Result) async throws -> Result {
        try await self.connection.withClient(body)
    }

    func makeClient() throws -> MailgateClient {
        try self.connection.makeClient()
    }
}

/// How to reach the server and with which key, for commands whose output is a file
/// rather than a table (their own `--format` names the file's).
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server RPC address host:port. [env: MAILGATE_ADDRESS] (default: 127.0.0.1:7587)")
    var address: String?

    @Option(help: "API key (mgk_…). Prefer the environment to the command line. [env: MAILGATE_KEY]")
    var key: String?

    @Option(help: "Deadline for the call, in seconds (default: 30; 60 for server validate, 300 for server import).")
    var timeout: Double?

    @Option(help: "Operator keys: the tenant to act in (id or slug), sent as \"tenant\" metadata.")
    var tenant: String?

    @Flag(help: "Speak TLS to the server, verifying its certificate against the system's CAs. [env: MAILGATE_TLS=1]")
    var tls = false

    @Option(
        help:
            "PEM file of the CA certificates that issued the server's certificate (implies --tls). [env: MAILGATE_RPC_CA_FILE]"
    )
    var caFile: String?

    /// Runs `body` with a connected client and closes it afterwards.
    func withClient<Result: Sendable>(_ body: (MailgateClient) async throws -> Result) async throws -> Result {
        let client = try self.makeClient()
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    func makeClient() throws -> MailgateClient {
        let environment = ProcessInfo.processInfo.environment
        let address = self.address ?? environment["MAILGATE_ADDRESS"] ?? "127.0.0.1:7587"
        var configuration = try MailgateClient.Configuration(
            address: address,
            apiKey: self.key ?? environment["MAILGATE_KEY"]
        )
        configuration.defaultTimeout = .milliseconds(Int64((self.timeout ?? 30) * 1000))
        if let tenant = self.tenant { configuration.metadata["tenant"] = tenant }
        let caFile = self.caFile ?? environment["MAILGATE_RPC_CA_FILE"]
        if self.tls || environment["MAILGATE_TLS"] == "1" || caFile != nil {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            if let caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else {
                    throw CLIError("Cannot read the CA file \(caFile).")
                }
                tls.trustRoots = .file(caFile)
            }
            configuration.tls = tls
        }
        return MailgateClient(configuration: configuration)
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}

/// Prints rows as an aligned table or as one JSON object, by `format`.
func printRecord(_ fields: KeyValuePairs<String, String>, format: OutputFormat) {
    switch format {
    case .json:
        let object = Dictionary(fields.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
            let text = String(data: data, encoding: .utf8)
        {
            print(text)
        }
    case .table:
        let width = fields.map(\.key.count).max() ?? 0
        for (key, value) in fields {
            print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }
}

/// Runs a client call, turning a failed status into a clear message and exit status 2.
func runClientCall(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as RPCError {
        var message = "error: \(error.code) (\(error.code.rawValue)): \(error.message)"
        if !error.reason.isEmpty { message += " [\(error.reason)]" }
        for violation in error.fieldViolations { message += "\n  \(violation.field): \(violation.description)" }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        throw ExitCode(2)
    } catch let error as CLIError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(64)
    }
}

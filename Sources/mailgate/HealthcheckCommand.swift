import ArgumentParser
import Foundation
import MailgateService
import NIOCore
import NIOPosix

/// `mailgate healthcheck`: asks the ops port of the server on this host whether it is alive
/// (`/healthz`) or ready (`/readyz`), for a container's HEALTHCHECK or a supervisor, where
/// no HTTP client may be installed.
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Ask the local server's ops port whether it is alive (/healthz) or ready (/readyz).",
        discussion: """
            Reads the same MAILGATE_OPS_LISTEN (and --config-file) as `serve`, so in a container it
            needs no arguments; a wildcard address (0.0.0.0, ::) is asked on loopback.
            Exit status: 0 when the port answers 200, 1 otherwise (one line on standard error says why).
            """
    )

    @Option(help: "Ops address host:port. [env: MAILGATE_OPS_LISTEN] (default: 127.0.0.1:7588)")
    var opsListen: String?

    @Option(help: "Configuration file of MAILGATE_NAME=value lines. [env: MAILGATE_CONFIG_FILE]")
    var configFile: String?

    @Flag(help: "Ask /readyz (schema current, database reachable) instead of /healthz.")
    var ready = false

    @Option(help: "Give up after this many seconds.")
    var timeoutSeconds: Int = 5

    func run() async throws {
        let values = try SettingValues(flags: [
            SettingsTable.opsListen: self.opsListen, SettingsTable.configFile: self.configFile,
        ])
        guard values[SettingsTable.opsListen]?.lowercased() != "off",
            let address = try values.listenAddress(SettingsTable.opsListen)
        else {
            Self.fail("the ops port is off (MAILGATE_OPS_LISTEN=off): nothing to ask")
        }
        let host =
            ["0.0.0.0", "", "*"].contains(address.host) ? "127.0.0.1" : (address.host == "::" ? "::1" : address.host)
        let path = self.ready ? "/readyz" : "/healthz"
        do {
            let status = try await Self.status(
                host: host,
                port: address.port,
                path: path,
                timeout: .seconds(Int64(self.timeoutSeconds))
            )
            guard status == 200 else { Self.fail("\(path) on \(host):\(address.port) answered \(status)") }
            print("ok: \(path) on \(host):\(address.port) answered 200")
        } catch let error as NIOConnectionError where Self.wasRefused(error) {
            Self.fail("nothing listens on \(host):\(address.port) (connection refused): is the server running?")
        } catch {
            Self.fail("cannot ask \(path) on \(host):\(address.port): \(error)")
        }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("healthcheck: \(message)\n".utf8))
        Foundation.exit(1)
    }

    /// The status code of `GET path` (HTTP/1.1, connection closed after the reply), within
    /// `timeout` for connecting and reading together.
    static func status(host: String, port: Int, path: String, timeout: TimeAmount) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(timeout)
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                return try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(
                        ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
                    )
                    var reply = ByteBuffer()
                    for try await var chunk in inbound {
                        reply.writeBuffer(&chunk)
                        if let text = reply.getString(at: reply.readerIndex, length: reply.readableBytes),
                            let end = text.range(of: "\r\n")
                        {
                            let fields = text[..<end.lowerBound].split(separator: " ")
                            guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let code = Int(fields[1]) else {
                                throw CLIError("not an HTTP reply: \(text[..<end.lowerBound].prefix(80))")
                            }
                            return code
                        }
                    }
                    throw CLIError("the connection closed before a reply")
                }
            }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                throw CLIError("no reply within \(timeout.nanoseconds / 1_000_000_000) s")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// Whether every attempt to connect was refused (nothing listens), as opposed to a name
    /// that does not resolve or a network that does not answer.
    static func wasRefused(_ error: NIOConnectionError) -> Bool {
        !error.connectionErrors.isEmpty
            && error.connectionErrors.allSatisfy { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
    }
}

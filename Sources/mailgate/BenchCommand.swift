import ArgumentParser
import Foundation
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateService
import Synchronization
import SwiftProtobuf

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure round trips per second and latency of a trivial authenticated call (Health/WhoAmI).",
        discussion: """
            Opens --connections connections and keeps --concurrency calls in flight, spread
            evenly over them, for --duration seconds after a one-second warm-up. Prints one
            line: calls/s, p50, p99 and p99.9 latency, and errors.
            """
    )

    @Option(help: "Server RPC address host:port. [env: MAILGATE_ADDRESS]")
    var address: String?

    @Option(help: "API key. [env: MAILGATE_KEY]")
    var key: String?

    @Option(help: "Connections to open.")
    var connections = 1

    @Option(help: "Calls in flight at once, across all connections.")
    var concurrency = 16

    @Option(help: "Seconds to measure.")
    var duration = 5.0

    @Option(
        help:
            "The call to make: whoami (authenticated), check (no key), getserver (key check + PostgreSQL read) or sendmail (a 5 KiB message durably queued)."
    )
    var method: BenchMethod = .whoami

    @Option(help: "getserver: the server (id or name) to read.")
    var server: String = ""

    @Option(help: "getserver with an operator key: the tenant (id or slug).")
    var tenant: String = ""

    @Option(
        help:
            "Make exactly this many calls instead of running for --duration (no warm-up), e.g. to enqueue a fixed number of messages."
    )
    var count: Int?

    @Option(help: "sendmail: the recipient.")
    var to: String = "sink@example.org"

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func validate() throws {
        guard self.connections >= 1, self.concurrency >= self.connections else {
            throw ValidationError("Need at least one connection and at least one call per connection.")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (host, port) =
            try SettingValues(flags: [SettingsTable.address: self.address], environment: environment)
            .listenAddress(SettingsTable.address) ?? ("127.0.0.1", 7587)
        let metadata = (self.key ?? environment["MAILGATE_KEY"]).map { ["authorization": "Bearer \($0)"] } ?? [:]
        let (methodName, payload) = try self.call()
        var pool: [RPCClientConnection] = []
        for _ in 0..<self.connections {
            pool.append(try await RPCClientConnection.connect(host: host, port: port))
        }
        let connections = pool

        let warmUp = self.count == nil ? ContinuousClock.now + .seconds(1) : ContinuousClock.now
        let end =
            self.count == nil
            ? warmUp + .milliseconds(Int64(self.duration * 1000)) : ContinuousClock.now + .seconds(86400)
        let budget = CallBudget(limit: self.count ?? Int.max)
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
            for worker in 0..<self.concurrency {
                let connection = connections[worker % connections.count]
                group.addTask {
                    var result = WorkerResult()
                    result.latencies.reserveCapacity(100_000)
                    while true {
                        let start = ContinuousClock.now
                        if start >= end { break }
                        guard budget.take() else { break }
                        let reply = try await connection.call(
                            method: methodName,
                            metadata: metadata,
                            timeout: .seconds(10),
                            payload: payload
                        )
                        guard start >= warmUp else { continue }
                        if reply.status.code == .ok {
                            result.latencies.append(ContinuousClock.now - start)
                        } else {
                            result.errors += 1
                        }
                    }
                    return result
                }
            }
            return try await group.reduce(into: WorkerResult()) { total, next in
                total.latencies += next.latencies
                total.errors += next.errors
            }
        }
        for connection in connections { await connection.close() }

        let latencies = results.latencies.sorted()
        guard !latencies.isEmpty else { throw ValidationError("No call succeeded (\(results.errors) errors).") }
        func percentile(_ fraction: Double) -> String {
            let value = latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]
            return String(
                format: "%.3f",
                Double(value.components.attoseconds) / 1e15 + Double(value.components.seconds) * 1000
            )
        }
        let elapsed = ContinuousClock.now - started
        let rate = Double(latencies.count) / (self.count == nil ? self.duration : max(elapsed.seconds, 0.001))
        printRecord(
            [
                "connections": "\(self.connections)",
                "concurrency": "\(self.concurrency)",
                "calls": "\(latencies.count)",
                "calls_per_second": String(format: "%.0f", rate),
                "p50_ms": percentile(0.50),
                "p99_ms": percentile(0.99),
                "p999_ms": percentile(0.999),
                "errors": "\(results.errors)",
            ],
            format: self.format
        )
    }
}

extension BenchCommand {
    /// The method and serialized request of each call.
    func call() throws -> (String, [UInt8]) {
        switch self.method {
        case .whoami:
            return ("/mailgate.v1.Health/WhoAmI", [])
        case .check:
            return ("/mailgate.v1.Health/Check", [])
        case .getserver:
            var request = Mailgate_V1_GetServerRequest()
            request.server = self.server
            request.tenant = self.tenant
            return ("/mailgate.v1.Admin/GetServer", try request.serializedBytes())
        case .sendmail:
            var request = Mailgate_V1_SendMailRequest()
            request.server = self.server
            var recipient = Mailgate_V1_EmailAddress()
            recipient.address = self.to
            request.to = [recipient]
            request.subject = "Mailgate benchmark message"
            // About 5 KiB of text, as in the Postfix comparison.
            request.textBody = String(
                repeating: "The quick brown fox jumps over the lazy dog, again and again. 0123456789\n",
                count: 72
            )
            return ("/mailgate.v1.Mailer/SendMail", try request.serializedBytes())
        }
    }
}

enum BenchMethod: String, ExpressibleByArgument, CaseIterable {
    case whoami
    case check
    case getserver
    case sendmail
}

private struct WorkerResult: Sendable {
    var latencies: [Duration] = []
    var errors = 0
}

/// How many calls `--count` still allows, shared by the workers.
private final class CallBudget: Sendable {
    private let issued = Atomic<Int>(0)
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Whether one more call may be made.
    func take() -> Bool { self.issued.wrappingAdd(1, ordering: .relaxed).oldValue < self.limit }
}

import Foundation
import MailgateClient
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A real `mailgate serve` under hostile load: hundreds of connections sending large frames
/// slowly and a flood of random keys, while a normal client keeps calling. Its memory stays
/// within its request budget plus a stated overhead, the normal client's calls succeed, and
/// it survives.
///
/// It loads the machine for 20 s and measures memory, so it runs alone: `scripts/test` runs it
/// after the rest of the suite, with `MAILGATE_HOSTILE_LOAD_TEST=1`.
@Suite(
    "Hostile load on a mailgate serve process",
    .enabled(
        if: ProcessInfo.processInfo.environment["MAILGATE_HOSTILE_LOAD_TEST"] == "1",
        "runs alone, after the suite"
    )
)
struct HostileLoadTests {
    /// How long the attack lasts.
    static let attack = Duration.seconds(20)
    /// `MAILGATE_RPC_MAX_REQUEST_BYTES_IN_FLIGHT`, its default.
    static let requestBudget = 32 * 1024 * 1024
    /// What a replica holds besides request bytes, on top of its RSS before the attack: 300
    /// more connections (a few KiB each, and up to one 64 KiB read while waiting), frames being
    /// decoded (copied once), replies, and the allocator's slack. Measured (debug build, 2 cores):
    /// the peak grew by 16-22 MiB; with the byte budget off and the unauthenticated frame limit
    /// at 16 MiB it grew by 226-263 MiB and the test failed, as it must.
    static let overhead = 64 * 1024 * 1024
    /// The frame timeout the server runs with, shortened from 30 s so that slow senders are cut
    /// within the attack.
    static let frameTimeoutSeconds = 3

    /// A process's resident memory, from /proc.
    static func residentBytes(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    @Test(
        "300 slow senders of large frames and a flood of random keys: RSS stays within the budget plus overhead, a normal client's calls all succeed, the process survives"
    )
    func hostileLoad() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: ServeProcessTests.executable.path),
            "swift build first"
        )
        try await TestDatabase.withFresh { database in
            let port = try await ServeProcessTests.freePort()
            let opsPort = try await ServeProcessTests.freePort()
            let operatorKey = APIKey.generate().presentedForm.exposedValue
            let server = try ChildProcess(
                ServeProcessTests.executable.path,
                ["serve"],
                environment: ServeEnvironment.make(
                    database: database,
                    port: port,
                    operatorKey: operatorKey,
                    [
                        "MAILGATE_OPS_LISTEN": "127.0.0.1:\(opsPort)", "MAILGATE_CONSOLE_LISTEN": "off",
                        "MAILGATE_WORKERS": "0",
                        "MAILGATE_LOG_LEVEL": "warning",
                        "MAILGATE_RPC_FRAME_TIMEOUT_SECONDS": "\(Self.frameTimeoutSeconds)",
                    ]
                ),
                capture: .standardError
            )
            // Drained all along: a full pipe would stop the server mid-log.
            let logText = Task { String(decoding: await server.readOutput(), as: UTF8.self) }
            defer { server.stopInBackground() }

            let operatorClient = MailgateClient(configuration: .init(port: port, apiKey: operatorKey))
            _ = try await eventually(limit: .seconds(30)) { try? await operatorClient.whoAmI() }
            try await operatorClient.makeTenant("steady")
            _ = try await operatorClient.putServer(AdminFixture.basicServerRequest("relay", tenant: "steady"))
            let tenantKey = try await operatorClient.makeTenantKey("steady").secret
            await operatorClient.close()

            let normal = NormalClient(client: MailgateClient(configuration: .init(port: port, apiKey: tenantKey)))
            try await normal.warmUp()
            try await Task.sleep(for: .seconds(1))
            let before = try #require(Self.residentBytes(of: server.pid))

            let peak = PeakResidentMemory(before)
            let until = ContinuousClock.now + Self.attack
            let outcome = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while ContinuousClock.now < until {
                        if let rss = Self.residentBytes(of: server.pid) { peak.record(rss) }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                // Large frames (8 MiB announced) sent slowly: 64 KiB every 200 ms.
                for _ in 0..<200 {
                    group.addTask {
                        await SlowSender(port: port, announced: 8 << 20, chunk: 64 << 10, pause: .milliseconds(200))
                            .run(until: until)
                    }
                }
                // Frames small enough to be read before authentication (60 KB), 1 KiB every 200 ms.
                for _ in 0..<100 {
                    group.addTask {
                        await SlowSender(port: port, announced: 60_000, chunk: 1 << 10, pause: .milliseconds(200))
                            .run(until: until)
                    }
                }
                let flood = KeyFlood()
                for _ in 0..<4 { group.addTask { try await flood.run(port: port, until: until) } }
                let outcome = try await normal.run(until: until)
                try await group.waitForAll()
                return (outcome, flood.calls)
            }
            let (calls, floodCalls) = outcome

            let alive = await server.exitStatus(within: .milliseconds(100)) == nil
            #expect(alive, "the server survived")
            let metrics = try await offCooperativePool {
                try RawHTTP.request("GET", host: "127.0.0.1", port: opsPort, path: "/metrics")
            }
            let text = String(decoding: metrics.2, as: UTF8.self)
            func metric(_ sample: String) -> Double { MetricsTests.value(text, sample) ?? 0 }
            let growth = peak.bytes - before
            print(
                """
                hostile load for \(Self.attack): RSS \(before >> 20) MiB before, peak \(peak.bytes >> 20) MiB \
                (+\(growth >> 20) MiB; allowed +\((Self.requestBudget + Self.overhead) >> 20) MiB); \
                normal client: \(calls.succeeded) calls, \(calls.failed) failed, slowest \(calls.slowest); \
                flood: \(floodCalls) calls, \(Int(metric(#"mailgate_auth_key_lookups_total{result="not_found"}"#))) lookups; \
                frame errors: \(Int(metric(#"mailgate_rpc_frame_errors_total{reason="UNAUTHENTICATED_FRAME_TOO_LARGE"}"#))) too large, \
                \(Int(metric(#"mailgate_rpc_frame_errors_total{reason="FRAME_TIMEOUT"}"#))) timed out
                """
            )
            #expect(growth <= Self.requestBudget + Self.overhead, "RSS grew by \(growth >> 20) MiB")
            #expect(calls.failed == 0, "\(calls.failures)")
            #expect(calls.succeeded >= 10, "the normal client kept calling: \(calls.succeeded)")
            #expect(floodCalls >= 1_000, "the flood ran: \(floodCalls) calls")
            // The attack reached the limits it is meant to meet.
            #expect(metric(#"mailgate_rpc_frame_errors_total{reason="UNAUTHENTICATED_FRAME_TOO_LARGE"}"#) >= 200)
            #expect(metric(#"mailgate_rpc_frame_errors_total{reason="FRAME_TIMEOUT"}"#) >= 50)
            let seconds = Double(Self.attack.components.seconds) + 10
            #expect(
                metric(#"mailgate_auth_key_lookups_total{result="not_found"}"#) <= 20 + seconds,
                "random keys cost about a lookup a second"
            )

            server.kill(SIGTERM)
            #expect(await server.exitStatus(within: .seconds(60)) == 0, "a graceful stop after the attack")
            let logs = await logText.value
            #expect(!logs.contains(tenantKey) && !logs.contains(operatorKey), "no key in the logs")
        }
    }
}

/// The highest resident memory seen.
final class PeakResidentMemory: Sendable {
    private let peak: Atomic<Int>

    init(_ bytes: Int) { self.peak = Atomic(bytes) }

    func record(_ bytes: Int) { self.peak.max(bytes, ordering: .relaxed) }
    var bytes: Int { self.peak.load(ordering: .relaxed) }
}

/// A client with a tenant key calling as a service would: small SendMail calls, a 1 MiB one
/// every fourth time, and WhoAmI. It records every failure.
struct NormalClient {
    struct Outcome: Sendable {
        var succeeded = 0
        var failed = 0
        var failures: [String] = []
        var slowest = Duration.zero
    }

    let client: MailgateClient

    static func message(bytes: Int) -> Mailgate_V1_SendMailRequest {
        var request = MailFixture.message(text: String(repeating: "x", count: bytes))
        request.server = "relay"
        return request
    }

    func warmUp() async throws {
        _ = try await self.client.whoAmI()
        _ = try await self.client.sendMail(Self.message(bytes: 100))
    }

    func run(until: ContinuousClock.Instant) async throws -> Outcome {
        var outcome = Outcome()
        var iteration = 0
        while ContinuousClock.now < until {
            iteration += 1
            let started = ContinuousClock.now
            do {
                _ = try await self.client.sendMail(Self.message(bytes: iteration % 4 == 0 ? 1 << 20 : 2_000))
                _ = try await self.client.whoAmI()
                outcome.succeeded += 2
            } catch {
                outcome.failed += 1
                outcome.failures.append("\(error)")
            }
            outcome.slowest = max(outcome.slowest, ContinuousClock.now - started)
            try await Task.sleep(for: .milliseconds(100))
        }
        await self.client.close()
        return outcome
    }
}

/// One hostile connection: announces a frame of `announced` bytes and sends `chunk` bytes of
/// it every `pause`, connecting again whenever the server closes it (a second later).
struct SlowSender {
    let port: Int
    let announced: Int
    let chunk: Int
    let pause: Duration

    func run(until: ContinuousClock.Instant) async {
        while ContinuousClock.now < until {
            let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).channelInitializer {
                channel in
                // Replies (the GoAway) are read and dropped.
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Discard()) }
            }
            guard let channel = try? await bootstrap.connect(host: "127.0.0.1", port: self.port).get() else {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            var header = ByteBuffer()
            header.writeInteger(UInt32(self.announced))
            var sent = 0
            var open = (try? await channel.writeAndFlush(header).get()) != nil
            while open, sent < self.announced, ContinuousClock.now < until {
                try? await Task.sleep(for: self.pause)
                let size = min(self.chunk, self.announced - sent)
                open = (try? await channel.writeAndFlush(ByteBuffer(repeating: 0x2A, count: size)).get()) != nil
                sent += size
            }
            try? await channel.close().get()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Drops whatever the server sends.
    final class Discard: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }
}

/// Calls WhoAmI with random, well-formed keys, 32 at a time per connection.
final class KeyFlood: Sendable {
    private let count = Atomic<Int>(0)

    var calls: Int { self.count.load(ordering: .relaxed) }

    func run(port: Int, until: ContinuousClock.Instant) async throws {
        let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
        while ContinuousClock.now < until {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        _ = try? await connection.call(
                            method: "/mailgate.v1.Health/WhoAmI",
                            metadata: ["authorization": "Bearer \(APIKey.generate().presentedForm.exposedValue)"],
                            timeout: .seconds(30),
                            payload: []
                        )
                    }
                }
            }
            self.count.add(32, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(10))
        }
        await connection.close()
    }
}

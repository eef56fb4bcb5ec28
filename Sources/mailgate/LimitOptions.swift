import ArgumentParser
import MailgateService

/// `serve` options of the RPC server's connection, frame and memory limits, and of failed
/// authentications.
struct LimitOptions: ParsableArguments {
    @Option(
        help:
            "Open RPC connections; more are refused with a GoAway (CONNECTION_LIMIT). [env: MAILGATE_RPC_MAX_CONNECTIONS] (default: 1000)"
    )
    var rpcMaxConnections: Int?

    @Option(
        help:
            "Request bytes held at once: frames being read and payloads being handled; beyond it connections wait. [env: MAILGATE_RPC_MAX_REQUEST_BYTES_IN_FLIGHT] (default: 33554432)"
    )
    var rpcMaxRequestBytesInFlight: Int?

    @Option(help: "Largest RPC frame, bytes. [env: MAILGATE_RPC_MAX_FRAME_BYTES] (default: 16777216)")
    var rpcMaxFrameBytes: Int?

    @Option(
        help:
            "Largest frame before a call on the connection was authenticated, bytes. [env: MAILGATE_RPC_MAX_UNAUTHENTICATED_FRAME_BYTES] (default: 65536)"
    )
    var rpcMaxUnauthenticatedFrameBytes: Int?

    @Option(
        help:
            "Seconds a frame may take to arrive once begun; slower senders are disconnected. [env: MAILGATE_RPC_FRAME_TIMEOUT_SECONDS] (default: 30)"
    )
    var rpcFrameTimeoutSeconds: Int?

    @Option(
        help:
            "1 runs each call (request up to 64 KiB) on its connection's event loop, saving a thread hop each way. [env: MAILGATE_RPC_CALLS_ON_EVENT_LOOP] (default: 0)"
    )
    var rpcCallsOnEventLoop: String?

    @Option(
        help:
            "Failed authentications one client address may make in a row. [env: MAILGATE_AUTH_FAILURE_BURST] (default: 20)"
    )
    var authFailureBurst: Int?

    @Option(
        help:
            "Failed authentications an address earns back per minute. [env: MAILGATE_AUTH_FAILURES_PER_MINUTE] (default: 60)"
    )
    var authFailuresPerMinute: Int?

    /// The options given, by setting (read through `RPCServerConfiguration.applyLimits(_:)` and
    /// `AuthenticationSettings(_:)`).
    var flags: [Setting: String?] {
        let table = SettingsTable.self
        return [
            table.rpcMaxConnections: self.rpcMaxConnections.map(String.init),
            table.rpcMaxRequestBytesInFlight: self.rpcMaxRequestBytesInFlight.map(String.init),
            table.rpcMaxFrameBytes: self.rpcMaxFrameBytes.map(String.init),
            table.rpcMaxUnauthenticatedFrameBytes: self.rpcMaxUnauthenticatedFrameBytes.map(String.init),
            table.rpcFrameTimeoutSeconds: self.rpcFrameTimeoutSeconds.map(String.init),
            table.rpcCallsOnEventLoop: self.rpcCallsOnEventLoop,
            table.authFailureBurst: self.authFailureBurst.map(String.init),
            table.authFailuresPerMinute: self.authFailuresPerMinute.map(String.init),
        ]
    }
}

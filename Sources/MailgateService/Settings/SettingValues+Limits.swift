import MailgateRPC
import NIOCore

extension RPCServerConfiguration {
    /// Sets the connection cap, the frame limits, the request-bytes budget and the frame timeout
    /// from `values` (each has a default in the table), and checks they can work together.
    public mutating func applyLimits(_ values: SettingValues) throws(ConfigurationError) {
        let table = SettingsTable.self
        self.maximumConnections = try values.integer(table.rpcMaxConnections) ?? self.maximumConnections
        self.maximumRequestBytesInFlight =
            try values.integer(table.rpcMaxRequestBytesInFlight) ?? self.maximumRequestBytesInFlight
        self.maximumFrameBytes = try values.integer(table.rpcMaxFrameBytes) ?? self.maximumFrameBytes
        self.maximumUnauthenticatedFrameBytes =
            try values.integer(table.rpcMaxUnauthenticatedFrameBytes) ?? self.maximumUnauthenticatedFrameBytes
        if let seconds = try values.integer(table.rpcFrameTimeoutSeconds) {
            self.frameTimeout = .seconds(Int64(seconds))
        }
        switch values[table.rpcCallsOnEventLoop]?.lowercased() {
        case "1", "true", "yes": self.runsCallsOnEventLoop = true
        case nil, "", "0", "false", "no": self.runsCallsOnEventLoop = false
        case let other?: throw ConfigurationError("MAILGATE_RPC_CALLS_ON_EVENT_LOOP: \(other) is not 1 or 0.")
        }
        do {
            try self.validate()
        } catch {
            throw ConfigurationError(
                "\(error.message) (MAILGATE_RPC_MAX_FRAME_BYTES, MAILGATE_RPC_MAX_UNAUTHENTICATED_FRAME_BYTES, MAILGATE_RPC_MAX_REQUEST_BYTES_IN_FLIGHT)"
            )
        }
    }
}

extension AuthenticationSettings {
    /// Failed-authentication limits from `values`.
    public init(_ values: SettingValues) throws(ConfigurationError) {
        let table = SettingsTable.self
        let defaults = AuthenticationSettings()
        self.init(
            failureBurst: try values.integer(table.authFailureBurst) ?? defaults.failureBurst,
            failuresPerMinute: try values.integer(table.authFailuresPerMinute) ?? defaults.failuresPerMinute
        )
    }
}

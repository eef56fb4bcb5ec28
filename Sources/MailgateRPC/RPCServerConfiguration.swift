import NIOCore
import NIOSSL

/// How the RPC server listens and which limits it enforces.
public struct RPCServerConfiguration: Sendable {
    /// Where to listen, e.g. host "127.0.0.1" and port 7587. Port 0 picks a free port.
    public var host: String
    public var port: Int
    /// Frames longer than this close the connection with RESOURCE_EXHAUSTED.
    public var maximumFrameBytes: Int
    /// Until a call on a connection was authenticated, its frames may be no longer than this
    /// (RESOURCE_EXHAUSTED, `UNAUTHENTICATED_FRAME_TOO_LARGE`, otherwise): a peer without a key
    /// cannot make the server buffer large frames.
    public var maximumUnauthenticatedFrameBytes: Int
    /// Request bytes the server holds at once, across connections: frames being read and the
    /// payloads of calls being handled. A frame that does not fit waits, its connection not read
    /// meanwhile. Connections that have not made an authenticated call may hold a quarter of it.
    public var maximumRequestBytesInFlight: Int
    /// A frame must arrive whole within this time of its first byte, or the connection closes
    /// (DEADLINE_EXCEEDED, `FRAME_TIMEOUT`): slow senders cannot hold budget for long.
    public var frameTimeout: TimeAmount
    /// Open connections; further ones get a `GoAway` (RESOURCE_EXHAUSTED, `CONNECTION_LIMIT`)
    /// and are closed.
    public var maximumConnections: Int
    /// Calls in flight on one connection before further calls get RESOURCE_EXHAUSTED.
    public var maximumConcurrentCallsPerConnection: Int
    /// Calls in flight across all connections before further calls get RESOURCE_EXHAUSTED.
    public var maximumConcurrentCalls: Int
    /// Deadline for calls that send `timeout_ms = 0`.
    public var defaultTimeout: TimeAmount
    /// Upper bound for any call's deadline.
    public var maximumTimeout: TimeAmount
    /// A connection with no calls in flight and no frames for this long is closed.
    public var idleTimeout: TimeAmount
    /// How long in-flight calls may run after a graceful shutdown begins.
    public var shutdownGracePeriod: TimeAmount
    /// TLS for the listener; nil serves plaintext.
    public var tls: TLSConfiguration?
    /// Whether a connection's call handlers run on its event loop (`EventLoopTaskExecutor`), saving a
    /// thread hop each way (WhoAmI one at a time: about 25% more calls a second), or on the global
    /// executor. Off by default: with it on, the integration tests (hundreds of servers in one
    /// process) ran slower and saw calls wait past their deadlines, not yet explained.
    public var runsCallsOnEventLoop = false

    public init(
        host: String = "127.0.0.1",
        port: Int = 7587,
        maximumFrameBytes: Int = FrameDecoder.defaultMaximumFrameBytes,
        maximumUnauthenticatedFrameBytes: Int = 64 * 1024,
        maximumRequestBytesInFlight: Int = 32 * 1024 * 1024,
        frameTimeout: TimeAmount = .seconds(30),
        maximumConnections: Int = 1_000,
        maximumConcurrentCallsPerConnection: Int = 128,
        maximumConcurrentCalls: Int = 10_000,
        defaultTimeout: TimeAmount = .seconds(30),
        maximumTimeout: TimeAmount = .seconds(300),
        idleTimeout: TimeAmount = .minutes(5),
        shutdownGracePeriod: TimeAmount = .seconds(20),
        tls: TLSConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.maximumFrameBytes = maximumFrameBytes
        self.maximumUnauthenticatedFrameBytes = maximumUnauthenticatedFrameBytes
        self.maximumRequestBytesInFlight = maximumRequestBytesInFlight
        self.frameTimeout = frameTimeout
        self.maximumConnections = maximumConnections
        self.maximumConcurrentCallsPerConnection = maximumConcurrentCallsPerConnection
        self.maximumConcurrentCalls = maximumConcurrentCalls
        self.defaultTimeout = defaultTimeout
        self.maximumTimeout = maximumTimeout
        self.idleTimeout = idleTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.tls = tls
    }

    /// The share of `maximumRequestBytesInFlight` connections that have not made an
    /// authenticated call may hold together.
    public var maximumUnauthenticatedRequestBytesInFlight: Int { self.maximumRequestBytesInFlight / 4 }

    /// Throws when the limits cannot work together: a frame the budget could never hold would
    /// wait for ever.
    public func validate() throws(RPCError) {
        func refuse(_ message: String) -> RPCError {
            RPCError(code: .invalidArgument, message: message, reason: "INVALID_SERVER_LIMITS")
        }
        let allowance = RPCClientConnection.unauthenticatedFrameAllowance
        guard self.maximumFrameBytes >= allowance else {
            throw refuse("The frame limit must be at least \(allowance) bytes.")
        }
        guard self.maximumRequestBytesInFlight >= self.maximumFrameBytes else {
            throw refuse(
                "The request-bytes budget (\(self.maximumRequestBytesInFlight)) must hold at least one frame of the frame limit (\(self.maximumFrameBytes))."
            )
        }
        // Clients send frames up to the allowance before they authenticate.
        guard
            (allowance...self.maximumFrameBytes).contains(self.maximumUnauthenticatedFrameBytes),
            self.maximumUnauthenticatedFrameBytes <= self.maximumUnauthenticatedRequestBytesInFlight
        else {
            throw refuse(
                "The frame limit before authentication (\(self.maximumUnauthenticatedFrameBytes)) must be at least \(allowance), at most the frame limit, and at most a quarter of the request-bytes budget."
            )
        }
        guard self.maximumConnections >= 1 else { throw refuse("The connection limit must be at least 1.") }
        guard self.frameTimeout > .zero else { throw refuse("The frame timeout must be positive.") }
    }

    /// A server TLS configuration from PEM certificate-chain and private-key files, TLS 1.2 minimum.
    public static func serverTLS(certificatePath: String, privateKeyPath: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }
}

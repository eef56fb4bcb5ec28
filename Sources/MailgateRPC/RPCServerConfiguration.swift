import NIOCore
import NIOSSL

/// How the RPC server listens and which limits it enforces.
public struct RPCServerConfiguration: Sendable {
    /// Where to listen, e.g. host "127.0.0.1" and port 7587. Port 0 picks a free port.
    public var host: String
    public var port: Int
    /// Frames longer than this close the connection with RESOURCE_EXHAUSTED.
    public var maximumFrameBytes: Int
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

    public init(
        host: String = "127.0.0.1",
        port: Int = 7587,
        maximumFrameBytes: Int = FrameDecoder.defaultMaximumFrameBytes,
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
        self.maximumConcurrentCallsPerConnection = maximumConcurrentCallsPerConnection
        self.maximumConcurrentCalls = maximumConcurrentCalls
        self.defaultTimeout = defaultTimeout
        self.maximumTimeout = maximumTimeout
        self.idleTimeout = idleTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.tls = tls
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

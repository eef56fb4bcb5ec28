import Logging
import MailgateProto
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import Tracing

/// The RPC server: accepts connections, frames, multiplexes and dispatches calls.
///
/// Memory is bounded by its configuration: at most `maximumConnections` connections, each
/// frame reserved in one budget of request bytes in flight before it is read (see
/// `FrameReader` and `RequestByteBudget`), and calls counted per connection and in total.
///
/// It is a `Service`: `run()` serves until graceful shutdown, then sends `GoAway` on
/// every connection, stops accepting, lets calls in flight finish within the grace
/// period, closes what is left, and returns.
public final class RPCServer<Principal: Sendable>: Service, Sendable {
    private let configuration: RPCServerConfiguration
    private let dispatcher: CallDispatcher<Principal>
    private let limiter: ConcurrencyLimiter
    private let budget: RequestByteBudget
    /// Swapped by `reloadTLS`; each new connection takes the current one.
    private let sslContext: Mutex<NIOSSLContext?>
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let boundAddress: EventLoopPromise<SocketAddress>
    private let servingState: ServingState
    private let metrics: RPCMetrics

    public init(
        configuration: RPCServerConfiguration,
        router: RPCRouter<Principal>,
        authenticator: some CallAuthenticator<Principal>,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        servingState: ServingState = ServingState(),
        metrics: RPCMetrics = RPCMetrics(),
        tracer: (any Tracer)? = nil
    ) throws {
        try configuration.validate()
        self.servingState = servingState
        self.metrics = metrics
        self.configuration = configuration
        self.dispatcher = CallDispatcher(
            router: router,
            authenticator: authenticator,
            logger: logger,
            // Room for the envelope around the payload.
            maximumReplyPayloadBytes: configuration.maximumFrameBytes - 1024,
            metrics: metrics,
            tracer: tracer
        )
        self.limiter = ConcurrencyLimiter(limit: configuration.maximumConcurrentCalls)
        self.budget = RequestByteBudget(
            limit: configuration.maximumRequestBytesInFlight,
            unauthenticatedLimit: configuration.maximumUnauthenticatedRequestBytesInFlight,
            metrics: metrics
        )
        self.sslContext = Mutex(try configuration.tls.map { try NIOSSLContext(configuration: $0) })
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.boundAddress = eventLoopGroup.any().makePromise(of: SocketAddress.self)
    }

    deinit {
        // A server that never ran (start-up failed before it) must not leave its promise
        // unfulfilled; completing an already completed promise does nothing.
        self.boundAddress.fail(RPCError(code: .unavailable, message: "The RPC server stopped before it listened."))
    }

    /// The address the server listens on, once it does (useful with port 0).
    public var listeningAddress: SocketAddress {
        get async throws { try await self.boundAddress.futureResult.get() }
    }

    /// Open connections right now.
    public var connectionCount: Int { self.connections.withLock { $0.count } }

    /// Whether the listener serves TLS.
    public var usesTLS: Bool { self.sslContext.withLock { $0 != nil } }

    /// The TLS context new connections get now (`reloadTLS` replaces it); nil without TLS.
    /// Other listeners of the process (the console) share it, so one SIGHUP renews them all.
    public var currentTLSContext: NIOSSLContext? { self.sslContext.withLock { $0 } }

    /// Serves new connections with `tls` (a renewed certificate, say); open connections
    /// keep theirs. Only a server started with TLS can reload it; a configuration that
    /// does not load throws and leaves the current one in place.
    public func reloadTLS(_ tls: TLSConfiguration) throws {
        let context = try NIOSSLContext(configuration: tls)
        try self.sslContext.withLock { current in
            guard current != nil else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "This server was started without TLS; restart it to add TLS."
                )
            }
            current = context
        }
    }

    /// Calls in flight across all connections right now.
    public var callsInFlight: Int { self.limiter.current }

    /// Request bytes reserved right now: frames being read, payloads of calls being handled.
    public var requestBytesInFlight: Int { self.budget.reserved }

    /// Whether a graceful shutdown has begun.
    public var isDraining: Bool { self.servingState.isDraining }

    public func run() async throws {
        let listener: any Channel
        do {
            listener = try await self.bind()
        } catch {
            self.boundAddress.fail(error)
            throw error
        }
        guard let address = listener.localAddress else {
            self.boundAddress.fail(RPCError(code: .internal, message: "The listener has no local address."))
            listener.close(promise: nil)
            return
        }
        self.boundAddress.succeed(address)
        self.logger.info(
            "RPC server listening",
            metadata: ["address": "\(listener.localAddress.map { "\($0)" } ?? "?")", "tls": "\(self.usesTLS)"]
        )

        try await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await listener.closeFuture.get()
            } onGracefulShutdown: {
                self.servingState.beginDraining()
                listener.close(promise: nil)
            }
            try Task.checkCancellation()
            await self.drainConnections()
        } onCancel: {
            listener.close(promise: nil)
            for channel in self.connections.withLock({ Array($0.values) }) { channel.close(promise: nil) }
        }
    }

    private func bind() async throws -> any Channel {
        let configuration = self.configuration
        let dispatcher = self.dispatcher
        let limiter = self.limiter
        let budget = self.budget
        let metrics = self.metrics
        let logger = self.logger
        let servingState = self.servingState
        let limits = FrameReader.Limits(
            maximumFrameBytes: configuration.maximumFrameBytes,
            maximumUnauthenticatedFrameBytes: configuration.maximumUnauthenticatedFrameBytes,
            frameTimeout: configuration.frameTimeout
        )
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            // One read (at most 64 KiB) per readiness event: a connection that waits for the
            // request budget holds at most that much besides its reservations.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelInitializer { channel in
                let admitted = self.admit(channel)
                let sslContext = self.sslContext.withLock { $0 }
                return channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    guard admitted else {
                        try channel.pipeline.syncOperations.addHandlers(
                            MessageToByteHandler(FrameEncoder()),
                            ConnectionRefusalHandler(error: Self.connectionLimitError(configuration))
                        )
                        return
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        FrameReader(limits: limits, budget: budget, metrics: metrics),
                        MessageToByteHandler(FrameEncoder()),
                        ServerConnectionHandler(
                            dispatcher: dispatcher,
                            configuration: configuration,
                            limiter: limiter,
                            budget: budget,
                            servingState: servingState,
                            logger: logger
                        )
                    )
                }
            }
        return try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
    }

    /// Tracks `channel` as an open connection, unless `maximumConnections` are open already.
    private func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = self.connections.withLock { connections in
            guard connections.count < self.configuration.maximumConnections else { return false }
            connections[id] = channel
            return true
        }
        guard admitted else {
            self.metrics.connectionRefused()
            return false
        }
        self.metrics.connectionOpened()
        channel.closeFuture.whenComplete { _ in
            self.connections.withLock { _ = $0.removeValue(forKey: id) }
            self.metrics.connectionClosed()
        }
        return true
    }

    private static func connectionLimitError(_ configuration: RPCServerConfiguration) -> RPCError {
        RPCError(
            code: .resourceExhausted,
            message: "The server has \(configuration.maximumConnections) connections open; try again shortly.",
            reason: "CONNECTION_LIMIT",
            retryAfterMilliseconds: 1000
        )
    }

    /// GoAway on every connection, then wait for them to close or the grace period to end.
    private func drainConnections() async {
        let open = self.connections.withLock { Array($0.values) }
        self.logger.info("draining connections", metadata: ["connections": "\(open.count)"])
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(DrainConnectionEvent())
        }
        let deadline = NIODeadline.now() + self.configuration.shutdownGracePeriod
        while NIODeadline.now() < deadline, self.connectionCount > 0, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let remaining = self.connections.withLock { Array($0.values) }
        if !remaining.isEmpty {
            self.logger.warning(
                "grace period over; closing connections with calls in flight",
                metadata: ["connections": "\(remaining.count)"]
            )
            for channel in remaining { try? await channel.close() }
        }
        self.logger.info("RPC server stopped")
    }
}

import MailgateProto
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One client connection to a Mailgate server, multiplexing any number of calls.
///
/// Safe to share between tasks. When the server goes away the connection's calls fail
/// with UNAVAILABLE and `isUsable` turns false; callers that want to go on make a new
/// connection (`MailgateClient` does that for them).
public final class RPCClientConnection: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>
    private let authenticated = Atomic<Bool>(false)

    /// Frames up to this size are always accepted, even before a call on the connection was
    /// authenticated (servers accept at least this much, and 64 KiB by default); a larger one
    /// needs an authenticated call first.
    public static let unauthenticatedFrameAllowance = 16 * 1024

    private init(channel: any Channel, handler: NIOLoopBound<ClientConnectionHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `host:port`, over TLS when `tls` is given.
    public static func connect(
        host: String,
        port: Int,
        tls: TLSConfiguration? = nil,
        maximumFrameBytes: Int = FrameDecoder.defaultMaximumFrameBytes,
        connectTimeout: TimeAmount = .seconds(10),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RPCClientConnection {
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        let channel: any Channel
        let handler: NIOLoopBound<ClientConnectionHandler>
        do {
            (channel, handler) = try await bootstrap.connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let isIPLiteral = (try? SocketAddress(ipAddress: host, port: port)) != nil
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: isIPLiteral ? nil : host)
                        )
                    }
                    // Kept here rather than looked up later: a connection that closes at once
                    // (a failed TLS handshake) has an empty pipeline by then.
                    let handler = ClientConnectionHandler()
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(FrameDecoder(maximumFrameBytes: maximumFrameBytes)),
                        MessageToByteHandler(FrameEncoder()),
                        handler
                    )
                    return (channel as any Channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        } catch {
            throw RPCError(
                code: .unavailable,
                message: "Cannot connect to \(host):\(port): \(error)",
                reason: "CONNECT_FAILED"
            )
        }
        return RPCClientConnection(channel: channel, handler: handler)
    }

    /// Whether the server authenticated a call on this connection: it takes frames up to its
    /// full limit from then on. Set by `noteAuthenticatedCall()`.
    public var hasAuthenticatedCall: Bool { self.authenticated.load(ordering: .relaxed) }

    /// Records that a call on this connection was authenticated (an authenticated method answered).
    public func noteAuthenticatedCall() {
        self.authenticated.store(true, ordering: .relaxed)
    }

    /// Whether new calls can be started on this connection.
    public var isUsable: Bool {
        get async {
            (try? await self.channel.eventLoop.submit { self.handler.value.isUsable }.get()) ?? false
        }
    }

    /// Makes one call and waits for its reply.
    ///
    /// The deadline is sent to the server and also enforced here (with a short margin),
    /// so a vanished server cannot hang the caller. Cancelling the calling task sends
    /// `Cancel` and throws CANCELLED.
    public func call(
        method: String,
        metadata: [String: String],
        timeout: Duration,
        payload: [UInt8]
    ) async throws(RPCError) -> Mailgate_V1_Reply {
        let eventLoop = self.channel.eventLoop
        let promise = eventLoop.makePromise(of: Mailgate_V1_Reply.self)
        let (seconds, attoseconds) = timeout.components
        let timeoutMilliseconds = UInt32(
            clamping: min(max(seconds, 0), 4_000_000) * 1000 + attoseconds / 1_000_000_000_000_000
        )
        let handler = self.handler
        let callID = NIOLoopBoundBox.makeEmptyBox(valueType: UInt64.self, eventLoop: eventLoop)
        eventLoop.execute {
            let id = handler.value.startCall(
                method: method,
                metadata: metadata,
                timeoutMilliseconds: max(timeoutMilliseconds, 1),
                payload: payload,
                promise: promise
            )
            callID.value = id
            guard let id else { return }
            // The local deadline: a little after the server's, so its answer normally wins.
            let timer = eventLoop.scheduleTask(in: .milliseconds(Int64(timeoutMilliseconds) + 250)) {
                handler.value.abandonCall(
                    id,
                    error: RPCError(code: .deadlineExceeded, message: "No reply before the call's deadline.")
                )
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
        }
        do {
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                eventLoop.execute {
                    guard let id = callID.value else { return }
                    handler.value.abandonCall(id, error: RPCError(code: .cancelled, message: "The call was cancelled."))
                }
            }
        } catch {
            throw RPCError(converting: error)
        }
    }

    /// Sends a Ping frame (connection keep-alive).
    public func ping(nonce: UInt64 = 0) {
        let handler = self.handler
        self.channel.eventLoop.execute { handler.value.sendPing(nonce: nonce) }
    }

    /// Closes the connection; calls in flight fail with UNAVAILABLE.
    public func close() async {
        try? await self.channel.close()
    }
}

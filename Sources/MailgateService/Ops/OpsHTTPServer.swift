import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The operations HTTP port: health probes and the OAuth consent callback. One request
/// per connection (`Connection: close`), bodies up to 64 KiB, at most 128 connections,
/// and a deadline for reading the request, so nothing a browser, a probe or a stranger
/// does can hold the port.
public final class OpsHTTPServer: Service, Sendable {
    /// One request, its body read.
    public struct Request: Sendable {
        public var method: HTTPMethod
        public var path: String
        public var query: String
        public var headers: HTTPHeaders
        public var body: ByteBuffer
    }

    /// What goes back.
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var contentType: String
        public var body: String

        public init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public typealias Handler = @Sendable (Request) async -> Response

    static let maximumBodyBytes = 64 * 1024
    static let maximumConnections = 128
    /// For the request to arrive; the handler's own work is not bounded by it.
    static let readDeadline: TimeAmount = .seconds(10)

    private let host: String
    private let port: Int
    private let routes: [String: Handler]
    private let logger: Logger
    private let boundAddress: EventLoopPromise<SocketAddress>
    private let openConnections = Atomic<Int>(0)

    public init(host: String, port: Int, routes: [String: Handler], logger: Logger) {
        self.host = host
        self.port = port
        self.routes = routes
        self.logger = logger
        self.boundAddress = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: SocketAddress.self)
    }

    deinit {
        // Never listened (the application stopped first): release whoever waits for the address.
        self.boundAddress.fail(CancellationError())
    }

    /// The address the port listens on, once it does (useful with port 0).
    public var listeningAddress: SocketAddress {
        get async throws { try await self.boundAddress.futureResult.get() }
    }

    public func run() async throws {
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: self.host, port: self.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel
                        )
                    }
                }
        } catch {
            self.boundAddress.fail(error)
            throw error
        }
        let listener = server.channel
        if let address = listener.localAddress { self.boundAddress.succeed(address) }
        self.logger.info(
            "ops HTTP port listening",
            metadata: ["address": "\(listener.localAddress.map { "\($0)" } ?? "?")"]
        )
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        guard self.openConnections.add(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                            self.openConnections.subtract(1, ordering: .relaxed)
                            connection.channel.close(promise: nil)
                            continue
                        }
                        group.addTask {
                            await self.serve(connection)
                            self.openConnections.subtract(1, ordering: .relaxed)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        let channel = connection.channel
        let deadline = channel.eventLoop.scheduleTask(in: Self.readDeadline) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                    case .body(var chunk):
                        guard body.readableBytes + chunk.readableBytes <= Self.maximumBodyBytes else {
                            try await Self.write(
                                Response(status: .payloadTooLarge, body: "request body too large\n"),
                                to: outbound
                            )
                            return
                        }
                        body.writeBuffer(&chunk)
                    case .end:
                        guard let head else { return }
                        deadline.cancel()
                        let response = await self.respond(to: head, body: body)
                        try await Self.write(response, to: outbound)
                        return
                    }
                }
            }
        } catch {
            self.logger.debug("ops HTTP connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer) async -> Response {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "")
        guard let handler = self.routes[path] else {
            return Response(status: .notFound, body: "not found\n")
        }
        let request = Request(
            method: head.method,
            path: path,
            query: parts.count > 1 ? String(parts[1]) : "",
            headers: head.headers,
            body: body
        )
        return await handler(request)
    }

    private static func write(_ response: Response, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>)
        async throws
    {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
        try await outbound.write(.end(nil))
    }
}

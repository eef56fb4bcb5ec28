import MailgateProto
import MailgateRPC
import NIOCore
import NIOSSL
import SwiftProtobuf
import Synchronization

/// A typed async client for Mailgate.
///
/// One connection multiplexes every concurrent call; a broken or drained connection
/// is replaced on the next call. Failed calls throw `RPCError` carrying the server's
/// `Status` (code, message, reason, field violations).
public final class MailgateClient: Sendable {
    /// Where and how to connect.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The API key sent as `authorization: Bearer <key>`; nil for unauthenticated calls only.
        public var apiKey: String?
        /// Deadline for each call unless one is given.
        public var defaultTimeout: Duration
        /// TLS settings; nil for plaintext.
        public var tls: TLSConfiguration?
        /// Extra metadata sent with every call (e.g. `tenant` for operator keys).
        public var metadata: [String: String]

        public init(
            host: String = "127.0.0.1",
            port: Int = 7587,
            apiKey: String? = nil,
            defaultTimeout: Duration = .seconds(30),
            tls: TLSConfiguration? = nil,
            metadata: [String: String] = [:]
        ) {
            self.host = host
            self.port = port
            self.apiKey = apiKey
            self.defaultTimeout = defaultTimeout
            self.tls = tls
            self.metadata = metadata
        }

        /// Reads `host:port` (IPv6 in brackets: `[::1]:7587`); the port defaults to 7587.
        public init(address: String, apiKey: String? = nil) throws(RPCError) {
            let (host, port) = try Self.split(address: address)
            self.init(host: host, port: port, apiKey: apiKey)
        }

        static func split(address: String) throws(RPCError) -> (String, Int) {
            var host = address
            var port = 7587
            if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
                host = String(address[address.index(after: address.startIndex)..<close])
                let rest = address[address.index(after: close)...]
                if rest.hasPrefix(":") {
                    guard let parsed = Int(rest.dropFirst()) else { throw Self.badAddress(address) }
                    port = parsed
                }
            } else if let colon = address.lastIndex(of: ":") {
                host = String(address[..<colon])
                guard let parsed = Int(address[address.index(after: colon)...]) else { throw Self.badAddress(address) }
                port = parsed
            }
            guard !host.isEmpty, (1...65535).contains(port) else { throw Self.badAddress(address) }
            return (host, port)
        }

        private static func badAddress(_ address: String) -> RPCError {
            RPCError(code: .invalidArgument, message: "\(address) is not host:port.", reason: "INVALID_ADDRESS")
        }
    }

    public let configuration: Configuration
    private let connection = Mutex<RPCClientConnection?>(nil)

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Closes the connection; later calls open a new one.
    public func close() async {
        let current = self.connection.withLock { slot -> RPCClientConnection? in
            defer { slot = nil }
            return slot
        }
        await current?.close()
    }

    /// Calls `method` with a typed request and decodes the typed response.
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String,
        _ request: Request,
        responseType: Response.Type = Response.self,
        timeout: Duration? = nil,
        metadata: [String: String] = [:]
    ) async throws(RPCError) -> Response {
        let payload: [UInt8]
        do {
            payload = try request.serializedBytes()
        } catch {
            throw RPCError(code: .invalidArgument, message: "The request cannot be serialized: \(error)")
        }
        var allMetadata = self.configuration.metadata.merging(metadata) { _, call in call }
        if let key = self.configuration.apiKey { allMetadata["authorization"] = "Bearer \(key)" }

        let reply = try await self.callWithReconnect(
            method: method,
            metadata: allMetadata,
            timeout: timeout ?? self.configuration.defaultTimeout,
            payload: payload
        )
        guard reply.status.code == .ok else { throw RPCError(status: reply.status) }
        do {
            return try Response(serializedBytes: reply.payload)
        } catch {
            throw RPCError(
                code: .internal,
                message: "The server's response is not a valid \(Response.protoMessageName)."
            )
        }
    }

    /// One retry on a fresh connection when the old one turned out to be gone before
    /// the call left (never once the server may have run it).
    private func callWithReconnect(
        method: String,
        metadata: [String: String],
        timeout: Duration,
        payload: [UInt8]
    ) async throws(RPCError) -> Mailgate_V1_Reply {
        var connection = try await self.currentConnection()
        if await !connection.isUsable {
            self.discard(connection)
            connection = try await self.currentConnection()
        }
        do {
            return try await self.call(
                on: connection,
                method: method,
                metadata: metadata,
                timeout: timeout,
                payload: payload
            )
        } catch  where error.reason == "NOT_SENT" || error.reason == "DRAINING" {
            self.discard(connection)
        } catch {
            if error.code == .unavailable { self.discard(connection) }
            throw error
        }
        let fresh = try await self.currentConnection()
        return try await self.call(on: fresh, method: method, metadata: metadata, timeout: timeout, payload: payload)
    }

    /// Makes the call; a large one on a connection that has not made an authenticated call
    /// yet is preceded by `WhoAmI`, as servers take only small frames from such connections.
    private func call(
        on connection: RPCClientConnection,
        method: String,
        metadata: [String: String],
        timeout: Duration,
        payload: [UInt8]
    ) async throws(RPCError) -> Mailgate_V1_Reply {
        let authorization = metadata["authorization"]
        let frameEstimate =
            payload.count + method.utf8.count + metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 }
            + 64
        if let authorization, !connection.hasAuthenticatedCall,
            frameEstimate > RPCClientConnection.unauthenticatedFrameAllowance
        {
            let reply = try await connection.call(
                method: Self.whoAmIMethod,
                metadata: ["authorization": authorization],
                timeout: timeout,
                payload: []
            )
            guard reply.status.code == .ok else { throw RPCError(status: reply.status) }
            connection.noteAuthenticatedCall()
        }
        let reply = try await connection.call(method: method, metadata: metadata, timeout: timeout, payload: payload)
        if authorization != nil, reply.status.code == .ok, method != Self.checkMethod {
            connection.noteAuthenticatedCall()
        }
        return reply
    }

    static let whoAmIMethod = "/mailgate.v1.Health/WhoAmI"
    /// The one method that needs no authentication: an answer to it says nothing about the key.
    static let checkMethod = "/mailgate.v1.Health/Check"

    private func currentConnection() async throws(RPCError) -> RPCClientConnection {
        if let existing = self.connection.withLock({ $0 }) { return existing }
        let fresh: RPCClientConnection
        do {
            fresh = try await RPCClientConnection.connect(
                host: self.configuration.host,
                port: self.configuration.port,
                tls: self.configuration.tls
            )
        } catch {
            throw RPCError(converting: error)
        }
        let (winner, loser) = self.connection.withLock { slot -> (RPCClientConnection, RPCClientConnection?) in
            if let existing = slot { return (existing, fresh) }
            slot = fresh
            return (fresh, nil)
        }
        if let loser { await loser.close() }
        return winner
    }

    private func discard(_ connection: RPCClientConnection) {
        self.connection.withLock { slot in
            if slot === connection { slot = nil }
        }
    }
}

import MailgateCore
import NIOCore
import NIOPosix

/// The threads libcurl's blocking HTTPS requests run on. Each thread keeps its own
/// client, so requests to one token endpoint reuse the TLS connection.
public final class HTTPTransport: Sendable {
    private let threads: NIOThreadPool
    // Each value is only ever touched by the thread that owns it.
    nonisolated(unsafe) private let clients = ThreadSpecificVariable<CurlHTTPClient>()
    private let destinations: DestinationPolicy

    /// `destinations` are the addresses requests may go to, checked after each name resolves.
    public init(threadCount: Int = 2, destinations: DestinationPolicy = .publicOnly) {
        self.destinations = destinations
        self.threads = NIOThreadPool(numberOfThreads: max(1, threadCount))
        self.threads.start()
    }

    /// Performs `request` on a pool thread.
    public func perform(_ request: HTTPRequest) async -> Result<HTTPResponse, HTTPTransportError> {
        do {
            return try await self.threads.runIfActive {
                let client: CurlHTTPClient
                if let existing = self.clients.currentValue {
                    client = existing
                } else {
                    client = CurlHTTPClient(destinations: self.destinations)
                    self.clients.currentValue = client
                }
                return client.perform(request)
            }
        } catch {
            return .failure(HTTPTransportError(curlCode: -1, detail: "the HTTP thread pool is stopping"))
        }
    }

    /// Stops the threads once the requests in progress end.
    public func shutdown() async throws {
        try await self.threads.shutdownGracefully()
    }
}

import MailgateCore
import NIOCore
import NIOPosix

/// The threads libcurl's blocking SMTP calls run on, never an event loop. Each thread
/// keeps one `CurlSMTPClient`, so consecutive sends to a server from a thread reuse
/// the connection.
public final class SMTPDeliveryPool: Sendable {
    private let threads: NIOThreadPool
    // Each value is only ever touched by the thread that owns it.
    nonisolated(unsafe) private let clients = ThreadSpecificVariable<CurlSMTPClient>()

    /// Starts `threadCount` threads.
    public init(threadCount: Int) {
        self.threads = NIOThreadPool(numberOfThreads: max(1, threadCount))
        self.threads.start()
    }

    /// Sends one message on a pool thread.
    public func send(message: [UInt8], from sender: String, to recipients: [String], through endpoint: SMTPEndpoint)
        async throws -> SMTPResult
    {
        try await self.threads.runIfActive {
            let client: CurlSMTPClient
            if let existing = self.clients.currentValue {
                client = existing
            } else {
                client = CurlSMTPClient()
                self.clients.currentValue = client
            }
            return client.send(message: message, from: sender, to: recipients, through: endpoint)
        }
    }

    /// Stops the threads once the sends in progress end.
    public func shutdown() async throws {
        try await self.threads.shutdownGracefully()
    }
}

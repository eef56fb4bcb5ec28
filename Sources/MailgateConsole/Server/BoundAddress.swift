/// The listener's port, known once the server runs.
final class BoundAddress: Sendable {
    private let stream: AsyncStream<Int?>
    private let continuation: AsyncStream<Int?>.Continuation

    init() {
        (self.stream, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func set(_ port: Int?) { self.continuation.yield(port) }

    func port() async throws -> Int {
        for await port in self.stream {
            if let port { return port }
        }
        throw CancellationError()
    }
}

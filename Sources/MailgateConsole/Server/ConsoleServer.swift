import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// The console: the pages operators and tenants manage Mailgate with, served by `mailgate
/// serve` on its own listener. A `Service`: runs until the group shuts it down.
public struct ConsoleServer: Service {
    let application: Application<RouterResponder<ConsoleRequestContext>>
    private let boundAddress: BoundAddress

    /// Where the listener is bound once running (port 0 picks one): tests read it.
    public var listeningPort: Int {
        get async throws { try await self.boundAddress.port() }
    }

    /// A console on `configuration`'s listener; throws when its TLS configuration is unusable.
    public init(configuration: ConsoleConfiguration, backend: ConsoleBackend, logger: Logger) throws {
        let pages = try PageRenderer()
        let router = Router(context: ConsoleRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(pages: pages))
        router.add(middleware: LanguageMiddleware())
        router.add(middleware: SessionMiddleware(backend: backend, configuration: configuration, pages: pages))
        let routes = ConsoleRoutes(backend: backend, configuration: configuration, pages: pages)
        routes.register(on: router)
        let boundAddress = BoundAddress()
        self.boundAddress = boundAddress
        let server: HTTPServerBuilder =
            if let tls = configuration.tls {
                HTTPServerBuilder { responder in
                    SharedTLSChannel(base: HTTP1Channel(responder: responder), current: tls)
                }
            } else {
                .http1()
            }
        self.application = Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil
            ),
            onServerRunning: { channel in
                boundAddress.set(channel.localAddress?.port)
                logger.info(
                    "console listening",
                    metadata: [
                        "address": "\(channel.localAddress?.description ?? "?")",
                        "tls": "\(configuration.tls != nil)",
                    ]
                )
            },
            logger: logger
        )
    }

    /// Serves until the service group shuts it down (a graceful shutdown lets requests in
    /// flight finish) or the task is cancelled.
    public func run() async throws {
        // As a service of the caller's group: it stops when the group says so, in its turn (a
        // group of its own would catch SIGTERM itself and stop before the RPC server drains).
        try await self.application.run()
    }
}

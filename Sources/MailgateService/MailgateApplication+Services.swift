import MailgateMail
import MailgateRPC
import NIOCore
import ServiceLifecycle
import UnixSignals

extension MailgateApplication {
    /// Every long-lived part, in start order; a `ServiceGroup` stops them in reverse, one
    /// at a time. From the start: the pool, the health probe, the thread pools (released
    /// once everything using them has stopped), the ops port (`/healthz` answers while
    /// migrations run), SIGHUP reloads and the migrations. Once the schema is current: the
    /// heartbeat, delivery, webhook delivery, expiry scans, queue gauges and, last, the RPC server, which
    /// therefore drains first.
    public var services: [ServiceGroupConfiguration.ServiceConfiguration] { self.services(frontEnds: []) }

    /// `services`, with front ends (the console) that start once the schema is current, just
    /// before the RPC server, and stop just after it.
    ///
    /// `exporters` (trace export) start first and stop last, so the spans of everything
    /// else's shutdown still leave.
    public func services(
        frontEnds: [(service: any Service, name: String)],
        exporters: [(service: any Service, name: String)] = []
    ) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        let schemaIsCurrent = self.readiness.schemaIsCurrent
        func part(
            _ service: any Service,
            _ name: String,
            needsSchema: Bool = false,
            whenDone: ServiceGroupConfiguration.ServiceConfiguration.TerminationBehavior = .ignore
        ) -> ServiceGroupConfiguration.ServiceConfiguration {
            .init(
                service: ApplicationService(
                    base: service,
                    tracer: self.tracer,
                    waitsFor: needsSchema ? schemaIsCurrent : nil
                ),
                successTerminationBehavior: whenDone,
                serviceName: name
            )
        }
        var services = exporters.map { part($0.service, $0.name) }
        services += [
            part(self.database, "postgres"),
            part(self.databaseHealth, "database-health"),
            part(ReleaseOnShutdown { [http = self.http] in try await http.shutdown() }, "token-http-threads"),
            part(
                ReleaseOnShutdown { [validator = self.validator] in try await validator.shutdown() },
                "validation-threads"
            ),
            part(ReleaseOnShutdown { [http = self.webhookHTTP] in try await http.shutdown() }, "webhook-http-threads"),
        ]
        if let ops = self.opsServer { services.append(part(ops, "ops-http")) }
        if let read = self.configuration.reloadSettings {
            services.append(part(ReloadOnHangup(application: self, read: read, logger: self.logger), "sighup-reload"))
        }
        services += [
            part(
                SchemaStartup(
                    database: self.database,
                    migrations: self.configuration.migrations,
                    bootstrapOperatorKey: self.configuration.bootstrapOperatorKey,
                    schemaIsCurrent: schemaIsCurrent,
                    logger: self.logger
                ),
                "migrations"
            ),
            part(self.heartbeat, "heartbeat", needsSchema: true),
            part(self.delivery, "delivery", needsSchema: true),
            part(self.webhookDelivery, "webhook-delivery", needsSchema: true),
            part(self.expiryScanner, "expiry-scanner", needsSchema: true),
            part(self.queueGauges, "queue-gauges", needsSchema: true),
        ]
        services += frontEnds.map { part($0.service, $0.name, needsSchema: true) }
        services += [
            part(self.rpcServer, "rpc", needsSchema: true, whenDone: .gracefullyShutdownGroup)
        ]
        return services
    }

    /// A group that runs everything and shuts down gracefully on SIGTERM and SIGINT. A
    /// graceful shutdown that outlasts the RPC grace period by 30 s turns into cancellation,
    /// so a stop never waits forever.
    public func makeServiceGroup(
        frontEnds: [(service: any Service, name: String)] = [],
        exporters: [(service: any Service, name: String)] = []
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: self.services(frontEnds: frontEnds, exporters: exporters),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: self.logger
        )
        configuration.maximumGracefulShutdownDuration =
            .nanoseconds(self.configuration.rpc.shutdownGracePeriod.nanoseconds) + .seconds(30)
        return ServiceGroup(configuration: configuration)
    }
}

import Foundation
import Logging
import MailgateService
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry trace export for `serve`: spans of calls, transactions, queries, token
/// requests and SMTP sessions, sent over OTLP/HTTP when the standard variables ask for it.
/// Metrics stay Prometheus; logs stay on standard error, carrying `trace_id` and `span_id`.
enum TraceExport {
    /// Whether `environment` asks for traces: `OTEL_TRACES_EXPORTER=otlp`, or an OTLP endpoint
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) with no other
    /// exporter named. Never with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
    static func isRequested(by environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.trimmingCharacters(in: .whitespaces).lowercased() == "true" {
            return false
        }
        if let exporters = environment["OTEL_TRACES_EXPORTER"], !exporters.isEmpty {
            return exporters.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "otlp" }
        }
        return ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].contains {
            environment[$0]?.isEmpty == false
        }
    }

    /// Makes the process-wide tracer an OTLP exporter configured by the `OTEL_*` variables
    /// (endpoint, protocol `http/protobuf` or `http/json`, headers, sampler, batch sizes), with
    /// `mailgate` as the default service name. Returns the service that exports the batches: it
    /// must run for spans to leave, and flushes what is queued when it stops.
    static func bootstrap(logger: Logger) throws -> any Service {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "mailgate"
        configuration.resourceAttributes["service.version"] = MailgateVersion.current
        // swift-otel's own lines at warning unless OTEL_LOG_LEVEL asks for more, never with the
        // values of OTEL_*_HEADERS.
        var diagnostics = logger
        diagnostics.handler = OTelDiagnosticsHandler(wrapped: logger.handler)
        configuration.diagnosticLogger = .custom(diagnostics)
        configuration.diagnosticLogLevel = .warning
        // The last export at shutdown waits for at most this long when the collector does not
        // answer (OTEL_BSP_EXPORT_TIMEOUT overrides it): the drain's grace period is the calls'.
        configuration.traces.batchSpanProcessor.exportTimeout = .seconds(5)
        configuration.traces.otlpExporter.timeout = .seconds(5)
        configuration.traces.exporter = .otlp
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        let environment = ProcessInfo.processInfo.environment
        let requestedProtocol =
            environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? environment["OTEL_EXPORTER_OTLP_PROTOCOL"]
        if requestedProtocol?.trimmingCharacters(in: .whitespaces).lowercased() == "grpc" {
            throw ConfigurationError(
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: this build exports traces over OTLP/HTTP only; use http/protobuf or http/json (port 4318)."
            )
        }
        let backend: (factory: any Tracer, service: any Service)
        do {
            let made = try OTel.makeTracingBackend(configuration: configuration)
            backend = (made.factory, made.service)
        } catch {
            throw ConfigurationError("Cannot export traces as the OTEL_* variables ask: \(error).")
        }
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }
}

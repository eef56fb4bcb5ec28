import NIOHTTP1
import Prometheus

/// What the ops port answers: `/healthz` (the process runs), `/readyz` (see `Readiness`),
/// `/metrics` (Prometheus text, with the process's own figures and the build) and the OAuth
/// consent callback.
enum OpsRoutes {
    static func make(
        readiness: Readiness,
        metrics: PrometheusCollectorRegistry,
        consent: ConsentService
    ) -> [String: OpsHTTPServer.Handler] {
        [
            "/healthz": { _ in OpsHTTPServer.Response(status: .ok, body: "ok\n") },
            "/readyz": { _ in readiness.response },
            "/metrics": { _ in
                OpsHTTPServer.Response(
                    status: .ok,
                    contentType: "text/plain; version=0.0.4; charset=utf-8",
                    body: metrics.emitToString() + ProcessMetrics.text(version: MailgateVersion.current)
                )
            },
            "/oauth/callback": { request in await consent.callback(request) },
        ]
    }
}

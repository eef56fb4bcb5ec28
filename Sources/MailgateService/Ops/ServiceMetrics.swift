import CoreMetrics
import MailgateCore
import MailgateMail

/// Mailgate's own metrics besides the RPC server's, through swift-metrics with the
/// factory given (Prometheus in `mailgate serve`; none by default). Labels carry only
/// bounded values: outcomes, reply classes, providers, reasons, states; never addresses,
/// subjects or servers' replies.
public struct ServiceMetrics: Sendable {
    let factory: any MetricsFactory
    /// Tenant labels: the first tenants seen by name, the rest as `other`.
    let tenantLabels = BoundedLabels(limit: 100, overflow: "other")

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
    }

    /// `mailgate_tenant_quota_refusals_total{tenant,quota}`: SendMail calls refused for a quota.
    func quotaRefusal(tenant: String, quota: TenantQuotas.Name) {
        Counter(
            label: "mailgate_tenant_quota_refusals_total",
            dimensions: [("tenant", self.tenantLabels.label(tenant)), ("quota", quota.rawValue)],
            factory: self.factory
        ).increment()
    }

    /// `mailgate_tenant_queued_messages{tenant}` and `…_bytes`: what a sending tenant has
    /// queued, as its last quota check read it.
    func tenantQueued(tenant: String, messages: Int, bytes: Int) {
        let label = self.tenantLabels.label(tenant)
        Gauge(label: "mailgate_tenant_queued_messages", dimensions: [("tenant", label)], factory: self.factory)
            .record(messages)
        Gauge(label: "mailgate_tenant_queued_bytes", dimensions: [("tenant", label)], factory: self.factory)
            .record(bytes)
    }

    /// `mailgate_delivery_attempts_total{outcome,reply_class}`: one per SMTP transaction
    /// (outcome `delivered`, `transient_failure`, `permanent_failure`, `uncertain`) or per
    /// message that could not be attempted (`not_attempted`); reply class `2xx`, `4xx`,
    /// `5xx`, or `none` when no reply came.
    func deliveryAttempt(_ result: SMTPResult?) {
        let outcome = result?.outcome.rawValue ?? "not_attempted"
        Counter(
            label: "mailgate_delivery_attempts_total",
            dimensions: [("outcome", outcome), ("reply_class", Self.statusClass(of: result?.replyCode))],
            factory: self.factory
        )
        .increment()
    }

    /// `2xx` … `5xx` for an SMTP reply code or HTTP status, `none` when there was none.
    static func statusClass(of code: Int?) -> String {
        switch code ?? 0 {
        case 200..<300: "2xx"
        case 300..<400: "3xx"
        case 400..<500: "4xx"
        case 500..<600: "5xx"
        default: "none"
        }
    }

    /// `mailgate_token_requests_total{provider,outcome}`: outcome `ok` or the failure reason.
    func tokenRequest(provider: OAuthProviderKind?, failure: TokenFailureReason?) {
        Counter(
            label: "mailgate_token_requests_total",
            dimensions: [("provider", provider?.rawValue ?? "generic"), ("outcome", failure?.rawValue ?? "ok")],
            factory: self.factory
        ).increment()
    }

    /// `mailgate_queue_messages{state}`: messages queued (due now, or later) and being sent, across the cluster.
    func queueDepth(state: String, count: Int) {
        Gauge(label: "mailgate_queue_messages", dimensions: [("state", state)], factory: self.factory).record(count)
    }

    /// `mailgate_servers_blocked`: blocked servers across the cluster with mail waiting for
    /// a fault of the server or its configuration to be fixed.
    func serversBlocked(_ count: Int) {
        Gauge(label: "mailgate_servers_blocked", factory: self.factory).record(count)
    }

    /// `mailgate_worker_heartbeats_total`: heartbeats this replica wrote.
    func heartbeat() {
        Counter(label: "mailgate_worker_heartbeats_total", factory: self.factory).increment()
    }

    /// `mailgate_delivery_workers`: delivery workers this replica runs.
    func deliveryWorkers(_ count: Int) {
        Gauge(label: "mailgate_delivery_workers", factory: self.factory).record(count)
    }

    /// `mailgate_server_validations_total{result}`: `passed`, `failed` or `inconclusive`.
    func validation(_ result: String) {
        Counter(label: "mailgate_server_validations_total", dimensions: [("result", result)], factory: self.factory)
            .increment()
    }
}

import Foundation
import MailgateCore
import MailgateStore
import Prometheus
import Synchronization

/// `mailgate_client_secret_expiry_seconds{tenant,server,provider}`: seconds until each
/// stored client secret expires (negative once it has). Every replica keeps its own.
public final class SecretExpiryGauges: Sendable {
    static var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "mailgate",
            metricName: "client_secret_expiry",
            unitName: "seconds",
            helpText: "Seconds until the OAuth client secret of an output server expires; negative once it has."
        )
    }

    private let registry: PrometheusCollectorRegistry
    private let gauges = Mutex<[[String]: Gauge]>([:])

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Sets one gauge per secret and removes those of secrets that are gone.
    func update(_ secrets: [ExpiringSecret], now: Date) {
        self.gauges.withLock { gauges in
            var seen = Set<[String]>()
            for secret in secrets {
                let labels = [secret.tenantSlug, secret.serverName, secret.provider?.rawValue ?? "generic"]
                seen.insert(labels)
                let gauge =
                    gauges[labels]
                    ?? {
                        let made = self.registry.makeGauge(
                            descriptor: Self.descriptor,
                            labels: [("tenant", labels[0]), ("server", labels[1]), ("provider", labels[2])]
                        )
                        gauges[labels] = made
                        return made
                    }()
                gauge.set(secret.expiresAt.timeIntervalSince(now))
            }
            for (labels, gauge) in gauges where !seen.contains(labels) {
                self.registry.unregisterGauge(gauge)
                gauges[labels] = nil
            }
        }
    }
}

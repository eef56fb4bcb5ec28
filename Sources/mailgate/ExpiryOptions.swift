import ArgumentParser
import MailgateCore
import MailgateService

/// `serve` options of client-secret expiry warnings.
struct ExpiryOptions: ParsableArguments {
    @Option(
        help:
            "Days before a client secret expires to warn at, comma-separated; tenants may set their own. [env: MAILGATE_EXPIRY_WARNING_DAYS] (default: 60,30,14,7,3,1)"
    )
    var expiryWarningDays: String?

    @Option(
        help: "Seconds between expiry scans (one replica does each). [env: MAILGATE_EXPIRY_SCAN_SECONDS] (default: 600)"
    )
    var expiryScanSeconds: Int?

    @Option(
        help:
            "tenant/server that sends warning mail when a tenant's default server cannot. [env: MAILGATE_EXPIRY_SYSTEM_SERVER]"
    )
    var expirySystemServer: String?

    @Option(
        help:
            "Microsoft Graph base URL, for reading secrets' end dates. [env: MAILGATE_GRAPH_URL] (default: https://graph.microsoft.com)"
    )
    var graphURL: String?

    func settings(_ settings: Settings) throws -> ExpirySettings {
        var expiry = ExpirySettings()
        if let text = settings.value(self.expiryWarningDays, "MAILGATE_EXPIRY_WARNING_DAYS") {
            guard let days = ExpiryWarnings.parse(text) else {
                throw ConfigurationError(
                    "MAILGATE_EXPIRY_WARNING_DAYS must be whole days from 1 to 3650, comma-separated, like 60,30,14,7,3,1."
                )
            }
            expiry.thresholds = days
        }
        if let text = settings.value(self.expiryScanSeconds.map(String.init), "MAILGATE_EXPIRY_SCAN_SECONDS") {
            guard let seconds = Int(text), seconds >= 10 else {
                throw ConfigurationError("MAILGATE_EXPIRY_SCAN_SECONDS must be a whole number of at least 10.")
            }
            expiry.interval = .seconds(seconds)
        }
        if let system = settings.value(self.expirySystemServer, "MAILGATE_EXPIRY_SYSTEM_SERVER") {
            guard system.split(separator: "/").count == 2 else {
                throw ConfigurationError("MAILGATE_EXPIRY_SYSTEM_SERVER must be tenant/server, like ops/alerts.")
            }
            expiry.systemServer = system
        }
        if let graph = settings.value(self.graphURL, "MAILGATE_GRAPH_URL") {
            expiry.graphBaseURL = graph.hasSuffix("/") ? String(graph.dropLast()) : graph
        }
        return expiry
    }
}

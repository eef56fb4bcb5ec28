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

    /// The options given, by setting (read through `ExpirySettings(_:)`).
    var flags: [Setting: String?] {
        let table = SettingsTable.self
        return [
            table.expiryWarningDays: self.expiryWarningDays,
            table.expiryScanSeconds: self.expiryScanSeconds.map(String.init),
            table.expirySystemServer: self.expirySystemServer, table.graphURL: self.graphURL,
        ]
    }
}

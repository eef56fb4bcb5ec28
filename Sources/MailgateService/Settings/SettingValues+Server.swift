import Foundation
import MailgateCore
import MailgateRPC
import NIOSSL

extension SettingValues {
    /// The RPC listener's TLS: nil when neither `MAILGATE_TLS_CERT` nor `MAILGATE_TLS_KEY`
    /// is set, an error when only one is or they do not load. Start-up and the SIGHUP
    /// reload both read it here, so they agree on what a half-configured pair means.
    public func rpcTLS() throws(ConfigurationError) -> TLSConfiguration? {
        switch (self.given(SettingsTable.tlsCert), self.given(SettingsTable.tlsKey)) {
        case (let certificate?, let privateKey?):
            do {
                return try RPCServerConfiguration.serverTLS(certificatePath: certificate, privateKeyPath: privateKey)
            } catch {
                throw ConfigurationError("Cannot load the TLS certificate or key: \(error)")
            }
        case (nil, nil):
            return nil
        default:
            throw ConfigurationError("TLS needs both MAILGATE_TLS_CERT and MAILGATE_TLS_KEY.")
        }
    }

    /// `host:port` (`[v6]:port` for IPv6) of `setting`; nil when unset and without default.
    public func listenAddress(_ setting: Setting) throws(ConfigurationError) -> (host: String, port: Int)? {
        guard let text = self[setting] else { return nil }
        var host = text
        var portText = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = String(text[text.index(after: close)...].dropFirst())
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else {
            throw ConfigurationError("\(setting): \(text) is not a listen address of the form host:port.")
        }
        return (host, port)
    }
}

extension SettingValues {
    /// Public addresses plus the networks `MAILGATE_ALLOWED_PRIVATE_NETWORKS` allows; an
    /// entry that is not an address or CIDR block stops start-up, named.
    public func destinations() throws(ConfigurationError) -> DestinationPolicy {
        guard let text = self[SettingsTable.allowedPrivateNetworks] else { return .publicOnly }
        let (ranges, invalid) = NetworkRange.parseList(text)
        guard invalid.isEmpty else {
            throw ConfigurationError(
                "MAILGATE_ALLOWED_PRIVATE_NETWORKS: \(invalid.joined(separator: ", ")) is not an address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)."
            )
        }
        return DestinationPolicy(allowedNetworks: ranges)
    }
}

extension SettingValues {
    /// A retention in seconds: nil for 0 (kept forever); refused below `atLeast`.
    func keptFor(_ setting: Setting, atLeast minimum: Duration) throws(ConfigurationError) -> Duration? {
        guard let seconds = try self.integer(setting, minimum: 0), seconds > 0 else { return nil }
        guard Duration.seconds(seconds) >= minimum else {
            throw ConfigurationError(
                "\(setting): \(seconds) s is shorter than \(Int(minimum.seconds)) s; 0 keeps everything (messages are kept at least a day and the idempotency window: daily limits count the day's mail, and a retried key must find its message)."
            )
        }
        return .seconds(seconds)
    }
}

extension MailerSettings {
    /// SendMail limits and delivery behaviour from `values`.
    public init(_ values: SettingValues) throws(ConfigurationError) {
        let defaults = MailerSettings()
        let table = SettingsTable.self
        func seconds(_ setting: Setting) throws(ConfigurationError) -> Duration {
            // Every one of these has a default in the table.
            try values.seconds(setting) ?? .zero
        }
        self.init(
            limits: MessageLimits(
                maximumRecipients: try values.integer(table.maxRecipients) ?? defaults.limits.maximumRecipients,
                maximumSize: try values.integer(table.maxMessageBytes, minimum: 1024) ?? defaults.limits.maximumSize
            ),
            idempotencyWindow: try seconds(table.idempotencyWindowSeconds),
            tenantQuotas: TenantQuotas(
                queuedMessages: try values.integer(table.tenantMaxQueuedMessages, minimum: 0),
                queuedBytes: try values.integer(table.tenantMaxQueuedBytes, minimum: 0),
                sendsPerMinute: try values.integer(table.tenantSendsPerMinute, minimum: 0),
                scheduleAheadSeconds: try values.integer(table.tenantScheduleAheadSeconds, minimum: 0),
                validationsPerMinute: try values.integer(table.tenantValidationsPerMinute, minimum: 0),
                tokenRefreshesPerMinute: try values.integer(table.tenantTokenRefreshesPerMinute, minimum: 0)
            ).over(.standardDefaults),
            workers: try values.integer(table.workers, minimum: 0) ?? defaults.workers,
            lease: try values.seconds(table.leaseSeconds, minimum: 3) ?? defaults.lease,
            pollInterval: .milliseconds(try values.integer(table.pollIntervalMs, minimum: 10) ?? 2000),
            retry: RetryPolicy(
                initialDelay: try seconds(table.retryInitialSeconds),
                maximumDelay: try seconds(table.retryMaxSeconds),
                giveUpAfter: try seconds(table.retryGiveUpSeconds)
            ),
            retention: try seconds(table.retentionSeconds),
            // The idempotency window, and a day: servers' daily recipient limits count the day's claims.
            messageRetention: try values.keptFor(
                table.messageRetentionSeconds,
                atLeast: max(try seconds(table.idempotencyWindowSeconds), .seconds(86400))
            ),
            eventRetention: try values.keptFor(table.eventRetentionSeconds, atLeast: .seconds(3600)),
            caFile: values[table.caFile],
            destinations: try values.destinations(),
            smtpTimeout: try seconds(table.smtpTimeoutSeconds),
            blockInitialWait: try seconds(table.blockInitialSeconds),
            blockMaximumWait: try seconds(table.blockMaxSeconds)
        )
        guard self.blockMaximumWait >= self.blockInitialWait else {
            throw ConfigurationError("MAILGATE_BLOCK_MAX_SECONDS must be at least MAILGATE_BLOCK_INITIAL_SECONDS.")
        }
    }
}

extension ExpirySettings {
    /// Client-secret expiry warnings from `values`.
    public init(_ values: SettingValues) throws(ConfigurationError) {
        self.init()
        let table = SettingsTable.self
        if let text = values[table.expiryWarningDays] {
            guard let days = ExpiryWarnings.parse(text) else {
                throw ConfigurationError(
                    "MAILGATE_EXPIRY_WARNING_DAYS must be whole days from 1 to 3650, comma-separated, like 60,30,14,7,3,1."
                )
            }
            self.thresholds = days
        }
        if let seconds = try values.seconds(table.expiryScanSeconds, minimum: 10) {
            self.interval = seconds
        }
        if let system = values[table.expirySystemServer] {
            guard system.split(separator: "/").count == 2 else {
                throw ConfigurationError("MAILGATE_EXPIRY_SYSTEM_SERVER must be tenant/server, like ops/alerts.")
            }
            self.systemServer = system
        }
        if let graph = values[table.graphURL] {
            self.graphBaseURL = graph.hasSuffix("/") ? String(graph.dropLast()) : graph
        }
    }
}

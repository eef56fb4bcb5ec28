import Foundation
import Logging
import MailgateCore
import MailgateStore
import ServiceLifecycle

/// Watches client-secret expiry. Every replica runs it; one at a time does the work (an
/// advisory lock), sending each warning threshold once per secret: an event, a log line,
/// and a mail to the tenant's alert contacts. Every replica keeps its expiry gauges.
public struct ExpiryScanner: Service {
    /// What one scan did.
    public struct Report: Sendable, Hashable {
        /// (server id, threshold) of each warning sent.
        public var warnings: [Warning] = []

        public struct Warning: Sendable, Hashable {
            public var serverID: UUID
            public var threshold: Int
            public var mailed: Bool
            /// For the log line, written once the scan has committed.
            var secret: ExpiringSecret
        }
    }

    let expiry: ExpiryRepository
    let servers: ServerRepository
    let tenants: TenantRepository
    let discovery: GraphDiscovery
    let gauges: SecretExpiryGauges
    let settings: ExpirySettings
    let wakeUp: DeliveryWakeUp
    let logger: Logger

    /// Scans at start and every `interval` until graceful shutdown (which ends a scan in
    /// progress: its transaction rolls back and the next start does it again).
    public func run() async {
        guard let interval = self.settings.interval else { return }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.scanOnce(now: Date())
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.warning(
                        "secret expiry scan failed; next one in an interval",
                        metadata: ["error": "\(String(reflecting: error))"]
                    )
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One scan at `now` (tests pass their own clock): discovery, warnings, gauges. Nil
    /// when another replica held the scan lock (its gauges are still updated).
    public func scanOnce(now: Date) async throws -> Report? {
        await self.discovery.discoverDue(now: now)
        let report = try await self.expiry.withScanLock { scan in
            try await self.warn(scan, now: now)
        }
        for warning in report?.warnings ?? [] {
            self.log(warning.secret, threshold: warning.threshold, now: now, mailed: warning.mailed)
        }
        if report?.warnings.contains(where: \.mailed) == true { self.wakeUp.messageQueued() }
        let all = try await self.expiry.list(before: .distantFuture, tenantID: nil)
        self.gauges.update(all, now: now)
        return report
    }

    private func warn(_ scan: ExpiryScan, now: Date) async throws -> Report {
        var report = Report()
        // Thresholds go up to 3650 days (the longest a tenant may set), so look that far ahead.
        let horizon = now.addingTimeInterval(3651 * 86400)
        for (secret, recorded) in try await scan.candidates(before: horizon) {
            // One secret's trouble (its server deleted mid-scan, say) rolls back its own writes only.
            do {
                if let warning = try await scan.isolated({
                    try await self.warn(secret, recorded: recorded, scan: scan, now: now)
                }) {
                    report.warnings.append(warning)
                }
            } catch let error as ExpiryScan.SecretSkipped {
                self.logger.warning(
                    "an expiry warning could not be recorded; the next scan tries again",
                    metadata: [
                        "server": "\(secret.serverName)", "tenant": "\(secret.tenantSlug)",
                        "error": "\(String(reflecting: error.underlying))",
                    ]
                )
            }
        }
        return report
    }

    /// The due warning of one secret, recorded with its event and mail; nil when none is due.
    private func warn(_ secret: ExpiringSecret, recorded: Set<Int>, scan: ExpiryScan, now: Date) async throws -> Report
        .Warning?
    {
        let warnings = ExpiryWarnings(thresholds: secret.warningDays ?? self.settings.thresholds)
        let due = warnings.due(expiresAt: secret.expiresAt, now: now, recorded: recorded)
        for skipped in due.skip { _ = try await scan.record(secret, threshold: skipped, sent: false) }
        guard let threshold = due.send, try await scan.record(secret, threshold: threshold, sent: true) else {
            return nil
        }
        let mail = try await self.mail(for: secret, threshold: threshold, now: now)
        if let mail { try await scan.enqueue(mail) }
        try await scan.append(
            self.event(secret, threshold: threshold, now: now, mailed: mail != nil, skipped: due.skip)
        )
        return .init(serverID: secret.serverID, threshold: threshold, mailed: mail != nil, secret: secret)
    }

    private func event(_ secret: ExpiringSecret, threshold: Int, now: Date, mailed: Bool, skipped: [Int]) -> NewEvent {
        let expired = threshold == ExpiryWarnings.expired
        let daysLeft = ExpiryWarnings.daysLeft(expiresAt: secret.expiresAt, now: now)
        var details = [
            "server": secret.serverName, "provider": secret.provider?.rawValue ?? "generic",
            "client_id": secret.clientID,
            "expires_at": secret.expiresAt.formatted(.iso8601), "days_left": String(daysLeft),
            "threshold_days": String(threshold),
            "source": secret.source?.rawValue ?? "",
            "mailed_to": mailed ? secret.alertContacts.joined(separator: ",") : "",
        ]
        if !skipped.isEmpty { details["missed_thresholds"] = skipped.map(String.init).joined(separator: ",") }
        let mail = ExpiryWarningMail(secret: secret, threshold: threshold, now: now)
        return NewEvent(
            tenantID: secret.tenantID,
            kind: expired ? EventKind.clientSecretExpired : EventKind.clientSecretExpiring,
            severity: ExpiryWarnings.severity(threshold: threshold),
            serverID: secret.serverID,
            message: mail.subject.replacingOccurrences(of: "[Mailgate] ", with: "")
                + ". Store a new secret with `mailgate server put \(secret.serverName) --tenant \(secret.tenantSlug) --client-secret-file FILE`.",
            details: details
        )
    }

    private func log(_ secret: ExpiringSecret, threshold: Int, now: Date, mailed: Bool) {
        self.logger.log(
            level: threshold == ExpiryWarnings.expired ? .error : .warning,
            threshold == ExpiryWarnings.expired ? "OAuth client secret expired" : "OAuth client secret expires soon",
            metadata: [
                "tenant": "\(secret.tenantSlug)", "server": "\(secret.serverName)",
                "provider": "\(secret.provider?.rawValue ?? "generic")",
                "client_id": "\(secret.clientID)", "expires_at": "\(secret.expiresAt.formatted(.iso8601))",
                "days_left": "\(ExpiryWarnings.daysLeft(expiresAt: secret.expiresAt, now: now))",
                "threshold_days": "\(threshold)",
                "mailed": "\(mailed)",
            ]
        )
    }

    /// The warning mail, through the tenant's default server if it can send, else the
    /// system server; nil when the tenant has no alert contacts or nothing can send.
    private func mail(for secret: ExpiringSecret, threshold: Int, now: Date) async throws -> NewMessage? {
        guard !secret.alertContacts.isEmpty else { return nil }
        guard let server = try await self.sendingServer(for: secret, threshold: threshold, now: now),
            let sender = EmailAddress(server.definition.senderAddress)
        else {
            self.logger.warning(
                "no server can send the expiry warning mail (set MAILGATE_EXPIRY_SYSTEM_SERVER); the event is raised",
                metadata: ["tenant": "\(secret.tenantSlug)", "server": "\(secret.serverName)"]
            )
            return nil
        }
        let warning = ExpiryWarningMail(secret: secret, threshold: threshold, now: now)
        let composer = MessageComposer(
            sender: MailAddress(
                sender,
                displayName: server.definition.senderName.isEmpty ? "Mailgate" : server.definition.senderName
            )
        )
        let draft = MessageDraft(
            to: secret.alertContacts.map { MessageDraft.Mailbox($0) },
            subject: warning.subject,
            textBody: warning.text,
            headers: ["X-Mailgate-Alert": "client-secret-expiry"]
        )
        let composed: ComposedMessage
        do {
            composed = try composer.compose(draft, date: now)
        } catch {
            self.logger.warning(
                "the expiry warning mail is not valid",
                metadata: ["error": "\(error.summary)", "tenant": "\(secret.tenantSlug)"]
            )
            return nil
        }
        return NewMessage(
            own: composed,
            subject: warning.subject,
            from: sender,
            through: server,
            tags: ["mailgate": "client-secret-expiry", "server": secret.serverName],
            // Through the system server, another tenant's: none of its keys may read the warning.
            isInternal: server.tenantID != secret.tenantID
        )
    }

    private func sendingServer(for secret: ExpiringSecret, threshold: Int, now: Date) async throws -> ServerRecord? {
        if let server = try await self.servers.findDefault(tenantID: secret.tenantID),
            Self.canSend(server, warningFor: secret, now: now)
        {
            return server
        }
        guard let system = self.settings.systemServer, let slash = system.firstIndex(of: "/") else { return nil }
        guard let tenant = try await self.tenants.find(idOrSlug: String(system[..<slash])),
            let server = try await self.servers.find(
                tenantID: tenant.id,
                idOrName: String(system[system.index(after: slash)...])
            ),
            Self.canSend(server, warningFor: secret, now: now)
        else { return nil }
        return server
    }

    /// A server that works: no standing token problem, and not one whose own secret has expired.
    static func canSend(_ server: ServerRecord, warningFor secret: ExpiringSecret, now: Date) -> Bool {
        if server.tokenState.failureReason != nil { return false }
        if server.definition.authType == .oauth2, let expires = server.clientSecret.expiresAt, expires <= now,
            server.clientSecret.isSet
        {
            return false
        }
        return true
    }
}

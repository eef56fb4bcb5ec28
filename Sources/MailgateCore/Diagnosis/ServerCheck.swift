/// One step of a server validation: what was checked, how it came out, and, when it
/// did not pass, why (`reason`, stable for scripts) and what to do (`remedy`).
public struct ServerCheck: Sendable, Hashable {
    /// The steps, in the order they run.
    public enum Name: String, Sendable, Hashable, CaseIterable {
        case dns, connect, tls, ehlo, token, auth
        case testMessage = "test_message"
        case backlog, workers
    }

    public enum Outcome: String, Sendable, Hashable {
        case ok, failed, skipped, warning
    }

    public var name: Name
    public var outcome: Outcome
    public var durationMilliseconds: Int
    /// What was seen: addresses, protocol and cipher, capabilities, the server's reply.
    public var detail: String
    /// Machine-readable cause of a failure or warning, e.g. `SMTP_AUTH_DISABLED`.
    public var reason: String
    /// What to do about a failure or warning.
    public var remedy: String

    public init(
        _ name: Name,
        _ outcome: Outcome,
        detail: String,
        durationMilliseconds: Int = 0,
        reason: String = "",
        remedy: String = ""
    ) {
        self.name = name
        self.outcome = outcome
        self.detail = detail
        self.durationMilliseconds = durationMilliseconds
        self.reason = reason
        self.remedy = remedy
    }

    /// A failed check whose cause is known.
    public static func failed(_ name: Name, _ cause: KnownCause, detail: String, durationMilliseconds: Int = 0)
        -> ServerCheck
    {
        ServerCheck(
            name,
            .failed,
            detail: detail,
            durationMilliseconds: durationMilliseconds,
            reason: cause.reason,
            remedy: cause.remedy
        )
    }

    /// A check that passed with a warning whose cause is known.
    public static func warning(_ name: Name, _ cause: KnownCause, detail: String, durationMilliseconds: Int = 0)
        -> ServerCheck
    {
        ServerCheck(
            name,
            .warning,
            detail: detail,
            durationMilliseconds: durationMilliseconds,
            reason: cause.reason,
            remedy: cause.remedy
        )
    }
}

extension Array where Element == ServerCheck {
    /// A validation passes when no check failed (warnings and skipped checks do not fail it).
    public var allPassed: Bool { !self.contains { $0.outcome == .failed } }

    /// The first failed check, the one an operator fixes first.
    public var firstFailure: ServerCheck? { self.first { $0.outcome == .failed } }

    /// One line for `last_validation`: "ok", "ok with warnings: tls", or "failed at auth (SMTP_AUTH_DISABLED)".
    public var summary: String {
        if let failure = self.firstFailure {
            return "failed at \(failure.name.rawValue)" + (failure.reason.isEmpty ? "" : " (\(failure.reason))")
        }
        let warnings = self.filter { $0.outcome == .warning }.map(\.name.rawValue)
        return warnings.isEmpty ? "ok" : "ok with warnings: \(warnings.joined(separator: ", "))"
    }
}

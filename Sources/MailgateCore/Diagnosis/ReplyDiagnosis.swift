/// Reads an SMTP server's refusal and names its cause, from the replies Exchange Online,
/// Gmail and common MTAs give. Pure: the same reply always gives the same cause.
public enum ReplyDiagnosis {
    /// Where in the session the reply came.
    public enum Stage: Sendable, Hashable {
        case greeting, ehlo, auth, mailFrom, rcpt, data
    }

    /// The cause of `reply` (e.g. "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled…").
    public static func cause(of reply: String, at stage: Stage, authType: AuthenticationType) -> KnownCause {
        let text = reply.lowercased()
        let code = Int(reply.prefix(3)) ?? 0
        let enhanced = Self.enhancedCode(in: reply)

        if text.contains("smtpclientauthentication is disabled") || text.contains("smtp_auth_disabled") {
            return .smtpAuthDisabled
        }
        if text.contains("basic authentication is disabled") || text.contains("basicauthblocked") {
            return .basicAuthDisabled
        }
        if enhanced == "5.7.9" || text.contains("application-specific password") { return .appPasswordRequired }
        if ["5.7.705", "5.7.708", "5.7.750", "5.7.703"].contains(enhanced) { return .accountBlocked }
        if text.contains("sendasdenied") || enhanced == "5.7.60" || enhanced == "5.2.252" { return .sendAsDenied }
        if enhanced == "5.7.57" || (code == 530 && stage != .auth) { return .authenticationRequired }
        if (400..<500).contains(code) {
            if enhanced == "4.3.2" || text.contains("throttl") || text.contains("rate limit")
                || text.contains("too many")
            {
                return .throttled
            }
            return stage == .auth ? .authTemporarilyFailed : .temporaryRefusal
        }
        if text.contains("quota") || enhanced == "5.4.5" { return .throttled }

        switch stage {
        case .greeting:
            return .greetingRefused
        case .ehlo:
            return .ehloRefused
        case .auth:
            guard authType == .oauth2 else { return .credentialsRejected }
            // Exchange answers 535 5.7.3 (often after a 334 error challenge) when the app lacks the permission or mailbox access.
            return enhanced == "5.7.3" || code == 334 ? .oauthNotPermitted : .tokenRejected
        case .mailFrom:
            return enhanced == "5.7.1" ? .relayDenied : .senderRejected
        case .rcpt:
            if enhanced == "5.7.1" || text.contains("relay") { return .relayDenied }
            return .recipientRejected
        case .data:
            return .messageRejected
        }
    }

    /// The RFC 3463 enhanced status code after the reply code ("5.7.139"), or "".
    public static func enhancedCode(in reply: String) -> String {
        let words = reply.split(whereSeparator: { $0 == " " || $0 == "-" }).dropFirst()
        guard let word = words.first else { return "" }
        let parts = word.split(separator: ".")
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return "" }
        return String(word)
    }
}

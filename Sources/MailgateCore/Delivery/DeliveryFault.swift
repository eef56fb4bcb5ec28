/// Whose fault a failed delivery attempt is, and so what happens to the message. Mail is
/// failed only for what is wrong with the message itself; a fault of the server or of
/// its configuration, which an operator can fix (a renewed certificate, a changed
/// password), blocks the server and keeps its mail waiting, as Postfix defers on SASL and
/// TLS failures.
public enum DeliveryFault: Sendable, Hashable {
    /// The server or its configuration: DNS, connection, greeting, TLS, credentials, the
    /// sender not allowed. The message waits; the server is blocked with this cause (the
    /// catalogue ValidateServer uses) until a probe or a fix shows it works again.
    case server(KnownCause)
    /// The message itself: every recipient refused, too big, content refused. It fails.
    case message(KnownCause)
    /// A passing condition (a 4xx at RCPT or DATA, a connection lost mid-transfer): the
    /// message is retried on the usual backoff.
    case transient

    /// Where in the session an attempt stopped.
    public enum Stage: String, Sendable, Hashable {
        case resolve, connect, tls, greeting, ehlo, auth, mailFrom = "mail_from", rcpt, data
    }

    /// Classifies a refusal or failure. `reply` is the server's last reply (empty when none
    /// came); `transportCause` is what the connection layer made of a failure without a
    /// reply (DNS, refused connection, TLS). At `rcpt`, the attempt ended because no
    /// recipient was accepted (recipients refused one by one are recorded, not classified).
    public static func classify(
        stage: Stage,
        replyCode: Int,
        reply: String,
        authType: AuthenticationType,
        transportCause: KnownCause? = nil
    ) -> DeliveryFault {
        let enhanced = ReplyDiagnosis.enhancedCode(in: reply)
        switch stage {
        case .resolve, .connect, .tls:
            return .server(transportCause ?? (stage == .tls ? .tlsHandshakeFailed : .connectionLost))
        case .greeting, .ehlo:
            guard replyCode >= 400 else { return .server(transportCause ?? .connectionLost) }
            return .server(
                ReplyDiagnosis.cause(of: reply, at: stage == .greeting ? .greeting : .ehlo, authType: authType)
            )
        case .auth:
            // Any refusal of the credentials, temporary or not, is the operator's to fix.
            if replyCode == 0, transportCause == nil {
                return .server(authType == .oauth2 ? .tokenRejected : .credentialsRejected)
            }
            if replyCode == 0, let transportCause { return .server(transportCause) }
            return .server(ReplyDiagnosis.cause(of: reply, at: .auth, authType: authType))
        case .mailFrom:
            if Self.isSizeRefusal(replyCode: replyCode, enhanced: enhanced, reply: reply) {
                return .message(.messageTooBig)
            }
            guard replyCode >= 500 else { return replyCode >= 400 ? .transient : .server(.connectionLost) }
            return .server(ReplyDiagnosis.cause(of: reply, at: .mailFrom, authType: authType))
        case .rcpt:
            if replyCode >= 500, enhanced == "5.7.1" || enhanced == "5.7.57" {
                // "Relaying denied" / "client not authenticated" for every recipient: the
                // server will not take mail from us at all, which its operator fixes.
                let cause = ReplyDiagnosis.cause(of: reply, at: .rcpt, authType: authType)
                if cause == .relayDenied || cause == .authenticationRequired { return .server(cause) }
            }
            if replyCode >= 500 { return .message(.recipientRejected) }
            return replyCode == 0 ? .server(transportCause ?? .connectionLost) : .transient
        case .data:
            if Self.isSizeRefusal(replyCode: replyCode, enhanced: enhanced, reply: reply) {
                return .message(.messageTooBig)
            }
            if replyCode >= 500 {
                // Authentication or sender rights refused only at the end of DATA (Exchange's
                // 5.7.60 SendAsDenied, 5.7.57 client not authenticated) are configuration.
                let cause = ReplyDiagnosis.cause(of: reply, at: .data, authType: authType)
                if [.sendAsDenied, .authenticationRequired, .accountBlocked].contains(cause) { return .server(cause) }
                return .message(.messageRejected)
            }
            return .transient
        }
    }

    /// RFC 3463 5.3.4 "message too big for system", 552 at MAIL FROM, or a reply that says so.
    private static func isSizeRefusal(replyCode: Int, enhanced: String, reply: String) -> Bool {
        guard replyCode >= 500 else { return false }
        let text = reply.lowercased()
        return enhanced == "5.3.4" || enhanced == "5.2.3"
            || text.contains("message size exceeds") || text.contains("too big") || text.contains("too large")
    }
}

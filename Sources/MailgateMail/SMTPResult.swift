import MailgateCore

/// Where in an SMTP transaction something went wrong.
public enum SMTPStage: String, Sendable, Hashable {
    case resolve, connect, tls, greeting, ehlo, auth, mailFrom = "mail_from", rcpt, data, done
}

/// What one delivery attempt came to, with the server's words.
public struct SMTPResult: Sendable, Hashable {
    /// How the attempt ended.
    public enum Outcome: String, Sendable, Hashable {
        /// The server accepted the message (final 250 after DATA).
        case delivered
        /// Worth retrying: connection problems and 4xx replies.
        case transientFailure = "transient_failure"
        /// Retrying cannot help: 5xx replies, TLS or certificate refusal, no recipient accepted.
        case permanentFailure = "permanent_failure"
        /// The whole message was sent but no final reply came: the server may have accepted it.
        case uncertain
    }

    public var outcome: Outcome
    public var stage: SMTPStage
    /// The last SMTP reply code (0 when no reply was received).
    public var replyCode: Int
    /// The last SMTP reply, e.g. "250 2.0.0 Ok: queued as 4F2", or a description of the connection problem.
    public var reply: String
    /// Recipients the server refused at RCPT, with its reply.
    public var rejectedRecipients: [String: String]
    /// libcurl's result code and its description, for logs.
    public var curlCode: Int
    public var detail: String
    /// Whether the connection was new (false: an existing one was reused).
    public var newConnection: Bool
    /// What went wrong below SMTP (DNS, connection, TLS), when that is why it failed.
    public var transportCause: KnownCause? = nil
}

extension SMTPResult {
    /// Whose fault this failed attempt is (see `DeliveryFault`); nil for a delivery or an
    /// uncertain outcome, which are not faults.
    public func fault(authType: AuthenticationType) -> DeliveryFault? {
        guard self.outcome == .transientFailure || self.outcome == .permanentFailure else { return nil }
        let stage: DeliveryFault.Stage =
            switch self.stage {
            case .resolve: .resolve
            case .connect: .connect
            case .tls: .tls
            case .greeting: .greeting
            case .ehlo: .ehlo
            case .auth: .auth
            case .mailFrom: .mailFrom
            case .rcpt: .rcpt
            case .data, .done: .data
            }
        return DeliveryFault.classify(
            stage: stage,
            replyCode: self.replyCode,
            reply: self.reply,
            authType: authType,
            transportCause: self.transportCause
        )
    }
}

extension SMTPResult {
    /// The server refused the credentials during AUTH (535, a 334 error challenge, or
    /// Exchange's `501 5.5.127 … Token will expire soon`): for XOAUTH2, the token was not
    /// accepted. Connection trouble or a 4xx during AUTH is not a refusal.
    public var isAuthenticationRefusal: Bool {
        guard self.outcome != .delivered, self.stage == .auth else { return false }
        // CURLE_LOGIN_DENIED (67) and CURLE_AUTH_ERROR (94) are libcurl's words for a refusal.
        return self.curlCode == 67 || self.curlCode == 94 || [535, 334, 501].contains(self.replyCode)
    }
}

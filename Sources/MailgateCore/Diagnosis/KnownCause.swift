/// A cause of a failed validation check that Mailgate recognizes, with what to do about
/// it. `reason` is stable: scripts and the notification panel may match on it.
public struct KnownCause: Sendable, Hashable {
    public let reason: String
    public let remedy: String

    public init(_ reason: String, _ remedy: String) {
        self.reason = reason
        self.remedy = remedy
    }
}

extension KnownCause {
    // MARK: Reaching the server

    public static let hostNotFound = KnownCause(
        "HOST_NOT_FOUND",
        "The host name does not resolve: check it for typos (smtp.office365.com, smtp.gmail.com) and that this machine's DNS can see it."
    )
    public static let resolverTimedOut = KnownCause(
        "DNS_TIMEOUT",
        "The name server did not answer in time: check this machine's DNS (resolv.conf, network policy) and retry."
    )
    public static let destinationNotAllowed = KnownCause(
        "DESTINATION_NOT_ALLOWED",
        "The host is or resolves to a non-public address (loopback, private, link-local, …), which Mailgate does not connect to: correct the host or its DNS, or ask the operator to allow the network with MAILGATE_ALLOWED_PRIVATE_NETWORKS."
    )
    public static let connectionRefused = KnownCause(
        "CONNECTION_REFUSED",
        "Nothing accepts connections on this port: check the port (587 STARTTLS, 465 implicit TLS, 25 relay) and that the server is running."
    )
    public static let connectionTimedOut = KnownCause(
        "CONNECTION_TIMED_OUT",
        "The connection attempt got no answer: a firewall drops it (outbound 587/465/25 is often blocked), or the host is down or wrong."
    )
    public static let noGreeting = KnownCause(
        "NO_GREETING",
        "Something accepted the connection but sent no SMTP greeting: check the port; a port that expects TLS from the first byte (465) needs security `tls`."
    )
    public static let greetingRefused = KnownCause(
        "GREETING_REFUSED",
        "The server refused the session in its greeting: it does not accept mail from this machine's address, or is overloaded; read its reply."
    )
    public static let connectionLost = KnownCause(
        "CONNECTION_LOST",
        "The server closed the connection or stopped answering mid-session: retry, and check its logs or limits if it persists."
    )

    // MARK: TLS

    public static let startTLSNotOffered = KnownCause(
        "STARTTLS_NOT_OFFERED",
        "The server does not offer STARTTLS on this port: use its TLS port (587 with STARTTLS or 465 with security `tls`), or security `none` only for a relay on a trusted network."
    )
    public static let tlsHandshakeFailed = KnownCause(
        "TLS_HANDSHAKE_FAILED",
        "The TLS handshake failed: check that the security mode matches the port (465 = `tls`, 587 = `starttls`) and that the server supports TLS 1.2 or newer."
    )
    public static let plaintextOnTLSPort = KnownCause(
        "NOT_A_TLS_PORT",
        "The server speaks plain SMTP on this port, not TLS from the first byte: use security `starttls` (usually port 587)."
    )
    public static let certificateUntrusted = KnownCause(
        "CERTIFICATE_UNTRUSTED",
        "The server's certificate is not issued by a trusted CA (self-signed or a private CA): install a publicly trusted certificate, or give Mailgate the CA bundle (MAILGATE_CA_FILE)."
    )
    public static let certificateHostMismatch = KnownCause(
        "CERTIFICATE_HOST_MISMATCH",
        "The server's certificate is for another name: use the host name the certificate names (e.g. smtp.office365.com), not an IP address or alias."
    )
    public static let certificateExpired = KnownCause(
        "CERTIFICATE_EXPIRED",
        "The server's certificate has expired: the server's administrator must renew it."
    )
    public static let certificateExpiresSoon = KnownCause(
        "CERTIFICATE_EXPIRES_SOON",
        "The server's certificate expires within 14 days: make sure its administrator renews it in time, or mail stops."
    )
    public static let caBundleUnreadable = KnownCause(
        "CA_BUNDLE_UNREADABLE",
        "Mailgate cannot read its own CA bundle (MAILGATE_CA_FILE): fix the path or the file's permissions; the server was not judged."
    )
    public static let plaintext = KnownCause(
        "NO_TLS",
        "Security `none`: mail and credentials cross the network unencrypted. Use `starttls` or `tls` unless this is a relay on a trusted network."
    )

    // MARK: EHLO and AUTH

    public static let ehloRefused = KnownCause(
        "EHLO_REFUSED",
        "The server refused EHLO: it may not be an ESMTP server, or it refuses this client; read its reply."
    )
    public static let authMechanismNotOffered = KnownCause(
        "AUTH_MECHANISM_NOT_OFFERED",
        "The server does not offer the authentication this server is set up for: Basic needs AUTH PLAIN or LOGIN, OAuth needs AUTH XOAUTH2 (offered only after STARTTLS by most servers)."
    )
    public static let smtpAuthDisabled = KnownCause(
        "SMTP_AUTH_DISABLED",
        "Exchange Online has SMTP AUTH turned off: enable it for the mailbox (`Set-CASMailbox -Identity MAILBOX -SmtpClientAuthenticationDisabled $false`) or the organisation (`Set-TransportConfig -SmtpClientAuthenticationDisabled $false`); it can take an hour to apply."
    )
    public static let basicAuthDisabled = KnownCause(
        "BASIC_AUTH_DISABLED",
        "The provider no longer accepts passwords for SMTP (Basic authentication is disabled): switch this server to OAuth 2.0 (auth type `oauth2`)."
    )
    public static let oauthNotPermitted = KnownCause(
        "OAUTH_SEND_NOT_PERMITTED",
        "Exchange refused the access token: grant the app the `SMTP.SendAsApp` application permission (Office 365 Exchange Online) with admin consent, register its service principal in Exchange (`New-ServicePrincipal`) and give it access to the mailbox (`Add-MailboxPermission … -AccessRights FullAccess`); for delegated tokens the signed-in user needs the mailbox and `SMTP.Send`."
    )
    public static let tokenRejected = KnownCause(
        "TOKEN_REJECTED",
        "The server refused the OAuth access token: check that the token's scope is for mail (Microsoft `https://outlook.office365.com/.default` or `SMTP.Send`, Google `https://mail.google.com/`) and that the username is the mailbox the token is for."
    )
    public static let credentialsRejected = KnownCause(
        "CREDENTIALS_REJECTED",
        "The server refused the username or password: store the right ones with `mailgate server put NAME --username … --password-file FILE` (Google and Microsoft accounts with 2-step verification need an app password, or OAuth)."
    )
    public static let appPasswordRequired = KnownCause(
        "APP_PASSWORD_REQUIRED",
        "The account uses 2-step verification: create an app password and store it, or switch to OAuth 2.0."
    )
    public static let authTemporarilyFailed = KnownCause(
        "AUTH_TEMPORARILY_FAILED",
        "The server could not check the credentials right now (4xx): retry in a few minutes."
    )
    public static let authenticationRequired = KnownCause(
        "AUTHENTICATION_REQUIRED",
        "The server requires authentication before it takes mail: set auth type `basic` (username and password) or `oauth2`."
    )

    // MARK: Sending

    public static let sendAsDenied = KnownCause(
        "SEND_AS_DENIED",
        "The authenticated account may not send as the sender address: use the mailbox's own address as sender, or grant it Send As permission on that address."
    )
    public static let relayDenied = KnownCause(
        "RELAY_DENIED",
        "The server does not relay this mail: authenticate, or have its administrator allow this sender, recipient domain or client address."
    )
    public static let senderRejected = KnownCause(
        "SENDER_REJECTED",
        "The server refused the sender address: use an address of a domain the server (or the account) is allowed to send for."
    )
    public static let recipientRejected = KnownCause(
        "RECIPIENT_REJECTED",
        "The server refused the test recipient: check the address, or validate with another recipient (`--to`)."
    )
    public static let messageRejected = KnownCause(
        "MESSAGE_REJECTED",
        "The server refused the message itself: read its reply (content policy, size, or sending limits)."
    )
    public static let messageTooBig = KnownCause(
        "MESSAGE_TOO_BIG",
        "The server refuses messages this large: send smaller attachments, or raise the server's size limit."
    )
    public static let throttled = KnownCause(
        "THROTTLED",
        "The server asks to slow down or reports a used-up sending quota: wait, or raise the account's sending limits."
    )
    public static let accountBlocked = KnownCause(
        "ACCOUNT_BLOCKED",
        "The provider blocked this account or tenant from sending (e.g. Exchange 5.7.705/5.7.708 after suspected spam): resolve it in the provider's admin centre."
    )
    public static let temporaryRefusal = KnownCause(
        "TEMPORARILY_REFUSED",
        "The server answered with a temporary error (4xx): mail is retried automatically; validate again later."
    )
    public static let unknownRefusal = KnownCause(
        "REFUSED",
        "The server refused: read its reply for the cause."
    )

    // MARK: Mailgate

    public static let noWorker = KnownCause(
        "NO_DELIVERY_WORKER",
        "No delivery worker has sent a heartbeat in the last minute on any replica: mail will not be delivered until a worker runs (start `mailgate serve` with workers > 0)."
    )
    public static let backlog = KnownCause(
        "MAIL_BACKLOG",
        "Mail for this server is waiting longer than usual: check the server's recent failures and events (throttling, OAuth problems), and that workers are running."
    )
    public static let stopping = KnownCause(
        "MAILGATE_STOPPING",
        "This Mailgate replica is shutting down: validate again (another replica answers)."
    )
    public static let notEnoughTime = KnownCause(
        "DEADLINE_TOO_SHORT",
        "The call's deadline ran out before this check could run: call again with a longer timeout."
    )
}

extension KnownCause {
    /// Causes that only a message's own transaction shows (the sender's rights, relaying,
    /// authentication demanded at RCPT or DATA): a validation that sent no test message says
    /// nothing about them, so it does not lift a block for one of them.
    public static let foundOnlyBySending: Set<KnownCause> = [
        .sendAsDenied, .senderRejected, .relayDenied, .authenticationRequired,
    ]
}

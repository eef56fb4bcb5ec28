/// What a diagnostic SMTP session saw, step by step, with the time each step took
/// (milliseconds; nil when the step was never reached). Never holds credentials: of the
/// AUTH exchange only the mechanism and the server's final reply are kept.
public struct SMTPProbeReport: Sendable, Hashable {
    /// libcurl's result code (0 = the session ran to its end) and its detailed error text.
    public var curlCode: Int = 0
    public var error: String = ""
    /// Why the connection was not made: the address is outside the destination policy.
    public var destinationRefusal: String?

    /// "127.0.0.1 port 2525", once TCP connected.
    public var connectedTo: String?
    public var connectMilliseconds: Int?
    /// The server's greeting (first reply), e.g. "220 mx.example ESMTP".
    public var greeting: String?
    public var greetingMilliseconds: Int?

    /// Each EHLO reply, lines in order (two with STARTTLS: before and after the handshake).
    public var ehloReplies: [[String]] = []
    public var ehloMilliseconds: Int?

    /// Whether the client asked for STARTTLS, and the handshake's outcome.
    public var startTLSSent = false
    public var tlsEstablished = false
    public var tlsMilliseconds: Int?
    /// "TLSv1.3" and "TLS_AES_256_GCM_SHA384", as the TLS library reports them.
    public var tlsVersion: String?
    public var cipher: String?
    /// The server certificate as read during the handshake ("CN=mx.example", dates as OpenSSL prints them).
    public var certificateSubject: String?
    public var certificateIssuer: String?
    public var certificateExpiry: String?

    /// The SASL mechanism the client used, and the server's final reply to it.
    public var authMechanism: String?
    public var authReply: String?
    public var authMilliseconds: Int?
    /// 334 challenges during AUTH (their content is not kept). A session that ends on one
    /// without a final reply was refused the Exchange way: an error challenge for XOAUTH2.
    public var authChallenges = 0

    /// The last reply the server sent, whatever the step.
    public var lastReply: String?

    public init() {}
}

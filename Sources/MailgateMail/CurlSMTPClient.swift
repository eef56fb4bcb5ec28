import CCurl
import Foundation
import MailgateCore

/// Sends messages over SMTP with one libcurl easy handle. Blocking: use it from a
/// thread of `SMTPDeliveryPool`, never from an event loop. Reusing the client reuses
/// its connection to the same server (libcurl keeps it open between transfers).
public final class CurlSMTPClient {
    private let handle: UnsafeMutableRawPointer

    /// TLS 1.2 or newer with forward-secret AEAD suites only: no RC4, 3DES, export or NULL.
    static let cipherList = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!eNULL:!MD5:!RC4:!3DES:!EXPORT"

    public init() {
        CurlGlobal.initialize()
        self.handle = curl_easy_init()!
    }

    deinit {
        curl_easy_cleanup(self.handle)
    }

    /// Delivers `message` to `recipients` from `sender` through `endpoint`.
    public func send(message: [UInt8], from sender: String, to recipients: [String], through endpoint: SMTPEndpoint)
        -> SMTPResult
    {
        let transcript = SMTPTranscript(payload: message)
        curl_easy_reset(self.handle)
        let recipientList = recipients.reduce(nil as UnsafeMutablePointer<curl_slist>?) { list, recipient in
            curl_slist_append(list, "<\(recipient)>")
        }
        defer { curl_slist_free_all(recipientList) }

        let unmanaged = Unmanaged.passRetained(transcript)
        defer { unmanaged.release() }
        let context = unmanaged.toOpaque()

        self.configure(endpoint: endpoint, sender: sender, recipients: recipientList, context: context)
        // libcurl's own words for a failure ("SSL: no alternative certificate subject name
        // matches target host name …"), which tell the causes of a TLS failure apart.
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        _ = mg_curl_setopt_pointer(self.handle, CURLOPT_ERRORBUFFER, errorBuffer)
        let destinations = DestinationGuard(policy: endpoint.destinations)
        let code = destinations.perform(self.handle)
        _ = mg_curl_setopt_pointer(self.handle, CURLOPT_ERRORBUFFER, nil)
        var connects = 0
        _ = mg_curl_getinfo_long(self.handle, CURLINFO_NUM_CONNECTS, &connects)
        var result = Self.result(
            code: code,
            transcript: transcript,
            recipients: recipients,
            newConnection: connects > 0
        )
        if let refusal = destinations.refusal(after: code) {
            result.detail = refusal.description
            result.transportCause = .destinationNotAllowed
        } else if code != CURLE_OK {
            let detail = String(
                decoding: UnsafeRawBufferPointer(start: errorBuffer, count: strlen(errorBuffer)),
                as: UTF8.self
            )
            if !detail.isEmpty { result.detail = detail }
            result.transportCause = TransportDiagnosis.cause(
                curlCode: result.curlCode,
                error: result.detail,
                implicitTLS: endpoint.security == .tls
            )
        }
        return result
    }

    private func configure(
        endpoint: SMTPEndpoint,
        sender: String,
        recipients: UnsafeMutablePointer<curl_slist>?,
        context: UnsafeMutableRawPointer
    ) {
        let h = self.handle
        _ = mg_curl_setopt_long(h, CURLOPT_FORBID_REUSE, endpoint.reuseConnection ? 0 : 1)
        _ = mg_curl_setopt_long(h, CURLOPT_UPLOAD, 1)
        _ = mg_curl_setopt_string(h, CURLOPT_MAIL_FROM, "<\(sender)>")
        _ = mg_curl_setopt_slist(h, CURLOPT_MAIL_RCPT, recipients)
        _ = mg_curl_set_rcpt_allow_fails(h, 1)
        _ = mg_curl_setopt_read_function(h) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let transcript = Unmanaged<SMTPTranscript>.fromOpaque(userdata).takeUnretainedValue()
            return transcript.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        }
        _ = mg_curl_setopt_pointer(h, CURLOPT_READDATA, context)
        _ = mg_curl_setopt_long(h, CURLOPT_VERBOSE, 1)
        _ = mg_curl_setopt_debug_function(h) { _, type, data, size, userdata in
            guard let data, let userdata else { return 0 }
            let transcript = Unmanaged<SMTPTranscript>.fromOpaque(userdata).takeUnretainedValue()
            guard type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT else { return 0 }
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
                if type == CURLINFO_HEADER_IN {
                    transcript.received(String(line))
                } else {
                    transcript.sent(String(line))
                }
            }
            return 0
        }
        _ = mg_curl_setopt_pointer(h, CURLOPT_DEBUGDATA, context)
        Self.configureConnection(h, endpoint: endpoint)
    }

    /// Where and how to connect: URL, timeouts, TLS (1.2+, verified, never a silent
    /// downgrade) and credentials. Shared by sends and diagnostic probes, so a probe
    /// judges a server by exactly what delivery will do.
    static func configureConnection(_ h: UnsafeMutableRawPointer, endpoint: SMTPEndpoint) {
        _ = mg_curl_setopt_string(h, CURLOPT_URL, endpoint.url)
        _ = mg_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = mg_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(endpoint.connectTimeout.milliseconds))
        _ = mg_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(endpoint.totalTimeout.milliseconds))

        switch endpoint.security {
        case .none: _ = mg_curl_setopt_long(h, CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        // Required, never a silent downgrade: no STARTTLS offered fails the transfer.
        case .starttls, .tls: _ = mg_curl_setopt_long(h, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        // Asked for by name, for relays without authentication: STARTTLS when offered (and then
        // verified like any other), plaintext when not; an offered TLS that fails still fails.
        case .opportunistic: _ = mg_curl_setopt_long(h, CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
        }
        _ = mg_curl_setopt_long(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2)
        _ = mg_curl_setopt_string(h, CURLOPT_SSL_CIPHER_LIST, Self.cipherList)
        _ = mg_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1)
        _ = mg_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2)
        // No TLS session resumption: libcurl caches a session when the server's ticket
        // arrives, before it has checked the certificate, so a handshake refused for a wrong
        // certificate left a session that every later handshake of this handle resumed, and
        // failed again, after the server had its right certificate back. Connections are
        // reused, so full handshakes stay rare.
        _ = mg_curl_setopt_long(h, CURLOPT_SSL_SESSIONID_CACHE, 0)
        // libcurl (7.87+) may keep the CA store it built for a handle 24 h; a CA file an
        // operator updated in place must count from the next connection on.
        _ = mg_curl_setopt_long(h, CURLOPT_CA_CACHE_TIMEOUT, 0)
        if let caFile = endpoint.caFile { _ = mg_curl_setopt_string(h, CURLOPT_CAINFO, caFile) }

        switch endpoint.authentication {
        case .none:
            break
        case .password(let username, let password):
            _ = mg_curl_setopt_string(h, CURLOPT_USERNAME, username)
            _ = mg_curl_setopt_string(h, CURLOPT_PASSWORD, password.exposedValue)
        case .xoauth2(let username, let token):
            _ = mg_curl_setopt_string(h, CURLOPT_USERNAME, username)
            _ = mg_curl_setopt_string(h, CURLOPT_XOAUTH2_BEARER, token.exposedValue)
            _ = mg_curl_setopt_string(h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2")
        }
    }

    static func result(code: CURLcode, transcript: SMTPTranscript, recipients: [String], newConnection: Bool)
        -> SMTPResult
    {
        let description = String(cString: curl_easy_strerror(code))
        var result = SMTPResult(
            outcome: .delivered,
            stage: transcript.stage,
            replyCode: transcript.lastReplyCode,
            reply: transcript.lastReply,
            rejectedRecipients: transcript.rejectedRecipients,
            curlCode: Int(code.rawValue),
            detail: description,
            newConnection: newConnection
        )
        if !recipients.isEmpty, transcript.rejectedRecipients.count == recipients.count {
            // Nobody took the message: permanent only if every refusal was (5xx).
            let replies = recipients.compactMap { transcript.rejectedRecipients[$0] }
            let permanent = replies.allSatisfy { $0.hasPrefix("5") }
            result.outcome = permanent ? .permanentFailure : .transientFailure
            result.stage = .rcpt
            let worst = replies.first { $0.hasPrefix(permanent ? "5" : "4") } ?? replies.first ?? ""
            result.reply = worst
            result.replyCode = Int(worst.prefix(3)) ?? result.replyCode
            return result
        }
        if code == CURLE_OK { return result }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST:
            result.stage = .resolve
            result.outcome = .transientFailure
            result.reply = "cannot resolve the host name"
        case CURLE_COULDNT_CONNECT:
            result.stage = .connect
            result.outcome = .transientFailure
            result.reply = "connection refused or unreachable"
        case CURLE_LOGIN_DENIED:
            result.stage = .auth
            result.outcome = .permanentFailure
            if transcript.lastReplyCode == 334 {
                // Exchange answers a refused XOAUTH2 token with a 334 challenge carrying an error.
                result.reply = "334 the server refused the credentials (an error challenge instead of 235)"
            }
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CIPHER, CURLE_SSL_CERTPROBLEM:
            result.stage = .tls
            result.outcome = .permanentFailure
            result.reply =
                code == CURLE_USE_SSL_FAILED
                ? "the server does not offer STARTTLS; refusing to send in plaintext"
                : code == CURLE_PEER_FAILED_VERIFICATION
                    ? "the server's certificate is not trusted or does not match the host name"
                    : "TLS handshake failed: \(description)"
        default:
            if transcript.awaitingFinalReply {
                // The final "." went out but no reply came back: the server may have taken the message.
                result.outcome = .uncertain
                result.stage = .data
                if result.reply.isEmpty || transcript.lastReplyCode == 354 {
                    result.reply = "no reply after the end of data: \(description)"
                }
            } else if transcript.lastReplyCode >= 500 {
                result.outcome = .permanentFailure
            } else {
                result.outcome = .transientFailure
                if transcript.lastReplyCode == 0 { result.reply = description }
            }
        }
        return result
    }
}

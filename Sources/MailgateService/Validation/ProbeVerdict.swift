import Foundation
import MailgateCore
import MailgateMail

/// Reads a diagnostic SMTP session (`SMTPProbeReport`) as the checks an operator sees:
/// connect, tls, ehlo and auth, each with what was seen and, when it failed, the cause.
struct ProbeVerdict {
    let report: SMTPProbeReport
    let security: ConnectionSecurity
    let authType: AuthenticationType
    /// Why the session ran without credentials; nil when it had them.
    let missingCredentials: MissingCredentials?

    enum MissingCredentials {
        /// OAuth without a token: the token check says why.
        case accessToken
        /// No password, or a secret the key ring cannot open.
        case other(String)
    }
    let username: String
    let responseTimeout: Duration
    let now: Date

    /// Certificates expiring sooner than this are a warning.
    static let certificateWarningDays = 14

    /// libcurl result codes the verdict tells apart (shared with delivery).
    private typealias Curl = TransportDiagnosis.Curl

    var checks: [ServerCheck] {
        var checks: [ServerCheck] = []
        let connect = self.connectCheck
        checks.append(connect)
        let tls = self.tlsCheck(reached: connect.outcome != .failed || self.report.connectedTo != nil)
        checks.append(tls)
        let ehlo = self.ehloCheck(reached: connect.outcome != .failed && tls.outcome != .failed)
        checks.append(ehlo)
        checks.append(
            self.authCheck(reached: connect.outcome != .failed && tls.outcome != .failed && ehlo.outcome != .failed)
        )
        return checks
    }

    // MARK: connect

    private var connectCheck: ServerCheck {
        let report = self.report
        if let refusal = report.destinationRefusal, report.connectedTo == nil {
            return .failed(.connect, .destinationNotAllowed, detail: refusal)
        }
        guard let address = report.connectedTo else {
            let cause: KnownCause =
                switch report.curlCode {
                case Curl.couldNotResolve: .hostNotFound
                // libcurl says "Couldn't connect to server" for a refusal; a timeout is code 28.
                case Curl.couldNotConnect:
                    report.error.lowercased().contains("timed out") ? .connectionTimedOut : .connectionRefused
                case Curl.timedOut: .connectionTimedOut
                default: .connectionLost
                }
            return .failed(.connect, cause, detail: report.error.isEmpty ? "no connection" : report.error)
        }
        let connected = "connected to \(address) in \(report.connectMilliseconds ?? 0) ms"
        let took = (report.connectMilliseconds ?? 0) + (report.greetingMilliseconds ?? 0)
        guard let greeting = report.greeting else {
            if self.security == .tls && !report.tlsEstablished {
                // Implicit TLS comes before the greeting: the tls check says what went wrong.
                return ServerCheck(
                    .connect,
                    .ok,
                    detail: connected,
                    durationMilliseconds: report.connectMilliseconds ?? 0
                )
            }
            if report.curlCode == Curl.timedOut {
                return .failed(
                    .connect,
                    .noGreeting,
                    detail: "\(connected), but no SMTP greeting came within \(Int(self.responseTimeout.seconds)) s",
                    durationMilliseconds: took
                )
            }
            return .failed(
                .connect,
                .connectionLost,
                detail: "\(connected), but the connection closed before a greeting: \(report.error)",
                durationMilliseconds: took
            )
        }
        guard greeting.hasPrefix("220") else {
            return .failed(
                .connect,
                ReplyDiagnosis.cause(of: greeting, at: .greeting, authType: self.authType),
                detail: "\(connected); greeting: \(greeting)",
                durationMilliseconds: took
            )
        }
        return ServerCheck(.connect, .ok, detail: "\(connected); greeting: \(greeting)", durationMilliseconds: took)
    }

    // MARK: tls

    private func tlsCheck(reached: Bool) -> ServerCheck {
        let report = self.report
        if self.security == .none {
            return self.authType == .none
                ? ServerCheck(.tls, .skipped, detail: "security none: the connection is not encrypted")
                : .warning(
                    .tls,
                    .plaintext,
                    detail: "security none: credentials and mail cross the network unencrypted"
                )
        }
        guard reached else { return ServerCheck(.tls, .skipped, detail: "not reached: the connection failed") }
        if report.curlCode == Curl.caBundleUnreadable {
            return .failed(.tls, .caBundleUnreadable, detail: report.error)
        }
        if report.curlCode == Curl.useSSLFailed && report.startTLSSent {
            return .failed(
                .tls,
                .tlsHandshakeFailed,
                detail: "the server refused STARTTLS: \(report.lastReply ?? report.error)"
            )
        }
        if report.curlCode == Curl.useSSLFailed {
            let offered = report.ehloReplies.first.map { SMTPCapabilities(ehloReply: $0).summary } ?? "no EHLO reply"
            return .failed(
                .tls,
                .startTLSNotOffered,
                detail:
                    "the server's EHLO does not offer STARTTLS (it offers: \(offered)); refusing to continue in plaintext"
            )
        }
        // The handshake can finish before the host name is checked: a TLS error code decides.
        guard TransportDiagnosis.isTLSFailure(curlCode: report.curlCode) else {
            if report.tlsEstablished { return self.establishedCheck }
            if self.security == .opportunistic, let ehlo = report.ehloReplies.first {
                return .warning(
                    .tls,
                    .plaintext,
                    detail:
                        "security opportunistic: the server's EHLO offers no STARTTLS (\(SMTPCapabilities(ehloReply: ehlo).summary)), so mail crosses the network unencrypted"
                )
            }
            return ServerCheck(.tls, .skipped, detail: "not reached: the session ended before TLS")
        }
        let cause = TransportDiagnosis.tlsCause(
            curlCode: report.curlCode,
            error: report.error,
            implicitTLS: self.security == .tls
        )
        var detail = report.error
        if let subject = report.certificateSubject {
            detail +=
                "; the certificate is for \(subject)" + (report.certificateIssuer.map { ", issued by \($0)" } ?? "")
        }
        return .failed(.tls, cause, detail: detail, durationMilliseconds: report.tlsMilliseconds ?? 0)
    }

    private var establishedCheck: ServerCheck {
        let report = self.report
        var parts = [[report.tlsVersion, report.cipher].compactMap { $0 }.joined(separator: ", ")]
        if self.security == .starttls || self.security == .opportunistic { parts[0] = "STARTTLS: " + parts[0] }
        var daysLeft: Int?
        if let subject = report.certificateSubject {
            var certificate = "certificate \(subject)"
            if let issuer = report.certificateIssuer { certificate += ", issued by \(issuer)" }
            if let expiry = report.certificateExpiry.flatMap(Self.certificateDate) {
                let days = Int(expiry.timeIntervalSince(self.now) / 86_400)
                daysLeft = days
                certificate += ", expires \(String(expiry.formatted(.iso8601).prefix(10))) (\(days) days)"
            }
            parts.append(certificate)
        }
        let detail = parts.joined(separator: "; ")
        if let daysLeft, daysLeft < Self.certificateWarningDays {
            return .warning(
                .tls,
                .certificateExpiresSoon,
                detail: detail,
                durationMilliseconds: report.tlsMilliseconds ?? 0
            )
        }
        return ServerCheck(.tls, .ok, detail: detail, durationMilliseconds: report.tlsMilliseconds ?? 0)
    }

    /// OpenSSL's "Nov 23 10:00:00 2027 GMT" (the day padded with a space).
    static func certificateDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy zzz"
        return formatter.date(from: text.split(separator: " ").joined(separator: " "))
    }

    // MARK: ehlo

    private func ehloCheck(reached: Bool) -> ServerCheck {
        guard reached, let last = self.report.ehloReplies.last else {
            return ServerCheck(.ehlo, .skipped, detail: "not reached")
        }
        let reply = last.joined(separator: " / ")
        guard last.last?.hasPrefix("250") == true else {
            return .failed(
                .ehlo,
                ReplyDiagnosis.cause(of: last.last ?? reply, at: .ehlo, authType: self.authType),
                detail: reply,
                durationMilliseconds: self.report.ehloMilliseconds ?? 0
            )
        }
        let capabilities = SMTPCapabilities(ehloReply: last)
        return ServerCheck(
            .ehlo,
            .ok,
            detail: capabilities.summary,
            durationMilliseconds: self.report.ehloMilliseconds ?? 0
        )
    }

    // MARK: auth

    /// SASL mechanisms libcurl can use with a username and password.
    static let passwordMechanisms = ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "NTLM"]

    private func authCheck(reached: Bool) -> ServerCheck {
        guard self.authType != .none else {
            return ServerCheck(.auth, .skipped, detail: "no authentication configured")
        }
        switch self.missingCredentials {
        case .accessToken:
            return ServerCheck(.auth, .skipped, detail: "no access token to authenticate with (see the token check)")
        case .other(let problem):
            return ServerCheck(
                .auth,
                .failed,
                detail: problem,
                reason: "CREDENTIALS_MISSING",
                remedy: "Store the server's credentials with `mailgate server put`."
            )
        case nil:
            break
        }
        guard reached, let last = self.report.ehloReplies.last else {
            return ServerCheck(.auth, .skipped, detail: "not reached")
        }
        let offered = SMTPCapabilities(ehloReply: last).authMechanisms
        let usable = self.authType == .oauth2 ? ["XOAUTH2"] : Self.passwordMechanisms
        if !offered.contains(where: usable.contains) {
            let detail =
                offered.isEmpty
                ? "the server offers no AUTH\(self.security == .none ? "" : " after TLS"); \(self.authType == .oauth2 ? "XOAUTH2" : "PLAIN or LOGIN") is needed"
                : "the server offers AUTH \(offered.joined(separator: " ")); \(self.authType == .oauth2 ? "XOAUTH2" : "PLAIN or LOGIN") is needed"
            return .failed(.auth, .authMechanismNotOffered, detail: detail)
        }
        let mechanism = self.report.authMechanism ?? usable.first { offered.contains($0) } ?? ""
        let took = self.report.authMilliseconds ?? 0
        guard let reply = self.report.authReply else {
            if self.report.curlCode == Curl.loginDenied && self.report.authChallenges > 0 && mechanism == "XOAUTH2" {
                // Exchange refuses a token with a 334 error challenge; libcurl stops there.
                let cause = ReplyDiagnosis.cause(of: "334", at: .auth, authType: self.authType)
                return .failed(
                    .auth,
                    cause,
                    detail:
                        "AUTH XOAUTH2 as \(self.username): the server answered the token with an error challenge (334) instead of 235",
                    durationMilliseconds: took
                )
            }
            if self.report.curlCode == Curl.loginDenied && self.report.authMechanism == nil {
                return .failed(.auth, .authMechanismNotOffered, detail: self.report.error)
            }
            return .failed(
                .auth,
                .connectionLost,
                detail: "no reply to AUTH \(mechanism): \(self.report.error)",
                durationMilliseconds: took
            )
        }
        guard reply.hasPrefix("235") else {
            let cause = ReplyDiagnosis.cause(of: reply, at: .auth, authType: self.authType)
            return .failed(
                .auth,
                cause,
                detail: "AUTH \(mechanism) as \(self.username): \(reply)",
                durationMilliseconds: took
            )
        }
        return ServerCheck(
            .auth,
            .ok,
            detail: "authenticated as \(self.username) with \(mechanism): \(reply)",
            durationMilliseconds: took
        )
    }
}

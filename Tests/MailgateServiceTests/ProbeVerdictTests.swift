import Foundation
import MailgateCore
import MailgateMail
import Testing

@testable import MailgateService

/// How a diagnostic SMTP session reads as ValidateServer's connect, tls, ehlo and auth
/// checks: the verdicts alone, from hand-written session reports.
@Suite("Validation verdicts")
struct ProbeVerdictTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A session that went well as far as `through` (connect, tls, ehlo, auth).
    static func session(through step: Int) -> SMTPProbeReport {
        var report = SMTPProbeReport()
        report.connectedTo = "192.0.2.10 port 587"
        report.connectMilliseconds = 3
        report.greeting = "220 mx.example ESMTP"
        guard step >= 2 else { return report }
        report.ehloReplies = [["250-mx.example", "250-STARTTLS", "250 SIZE 1000"]]
        report.startTLSSent = true
        report.tlsEstablished = true
        report.tlsVersion = "TLSv1.3"
        report.cipher = "TLS_AES_256_GCM_SHA384"
        guard step >= 3 else { return report }
        report.ehloReplies.append(["250-mx.example", "250-AUTH PLAIN LOGIN XOAUTH2", "250 SIZE 1000"])
        guard step >= 4 else { return report }
        report.authMechanism = "PLAIN"
        report.authReply = "235 2.7.0 Authentication successful"
        return report
    }

    static func checks(
        _ report: SMTPProbeReport,
        security: ConnectionSecurity = .starttls,
        auth: AuthenticationType = .basic
    ) -> [ServerCheck.Name: ServerCheck] {
        let verdict = ProbeVerdict(
            report: report,
            security: security,
            authType: auth,
            missingCredentials: nil,
            username: "billing@example.com",
            responseTimeout: .seconds(10),
            now: Self.now
        )
        return Dictionary(uniqueKeysWithValues: verdict.checks.map { ($0.name, $0) })
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var report: SMTPProbeReport
        var auth = AuthenticationType.basic
        var failing: ServerCheck.Name
        var reason: String
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        {
            var report = SMTPProbeReport()
            report.curlCode = 6
            report.error = "Could not resolve host: smtp.nowhere.example"
            return Case(name: "an unknown host", report: report, failing: .connect, reason: "HOST_NOT_FOUND")
        }(),
        {
            var report = SMTPProbeReport()
            report.curlCode = 7
            report.error = "Failed to connect to 192.0.2.10 port 587: Connection refused"
            return Case(name: "a refused connection", report: report, failing: .connect, reason: "CONNECTION_REFUSED")
        }(),
        {
            var report = Self.session(through: 1)
            report.greeting = nil
            report.curlCode = 28
            return Case(name: "a port that never greets", report: report, failing: .connect, reason: "NO_GREETING")
        }(),
        {
            var report = Self.session(through: 1)
            report.ehloReplies = [["250-mx.example", "250 SIZE 1000"]]
            report.curlCode = 64
            return Case(
                name: "no STARTTLS offered",
                report: report,
                failing: .tls,
                reason: "STARTTLS_NOT_OFFERED"
            )
        }(),
        {
            var report = Self.session(through: 1)
            report.ehloReplies = [["250-mx.example", "250-STARTTLS"]]
            report.startTLSSent = true
            report.curlCode = 60
            report.error = "SSL certificate problem: self-signed certificate"
            return Case(
                name: "a self-signed certificate",
                report: report,
                failing: .tls,
                reason: "CERTIFICATE_UNTRUSTED"
            )
        }(),
        {
            var report = Self.session(through: 1)
            report.ehloReplies = [["250-mx.example", "250-STARTTLS"]]
            report.startTLSSent = true
            report.curlCode = 60
            report.error = "SSL: no alternative certificate subject name matches target host name 'smtp.example.com'"
            return Case(
                name: "a certificate for another host",
                report: report,
                failing: .tls,
                reason: "CERTIFICATE_HOST_MISMATCH"
            )
        }(),
        {
            var report = Self.session(through: 3)
            report.authMechanism = "PLAIN"
            report.authReply = "535 5.7.8 Authentication credentials invalid"
            report.curlCode = 67
            return Case(
                name: "a wrong password",
                report: report,
                failing: .auth,
                reason: "CREDENTIALS_REJECTED"
            )
        }(),
        {
            var report = Self.session(through: 3)
            report.authMechanism = "XOAUTH2"
            report.authReply =
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
            report.curlCode = 67
            return Case(
                name: "SMTP AUTH disabled at Exchange Online",
                report: report,
                auth: .oauth2,
                failing: .auth,
                reason: "SMTP_AUTH_DISABLED"
            )
        }(),
    ]

    @Test("each failure is named at its own check, and the checks after it are not reached", arguments: cases)
    func failures(_ testCase: Case) throws {
        let checks = Self.checks(testCase.report, auth: testCase.auth)
        let failed = try #require(checks[testCase.failing])
        #expect(failed.outcome == .failed)
        #expect(failed.reason == testCase.reason)
        #expect(!failed.remedy.isEmpty, "a failure must say what to do")
        let order: [ServerCheck.Name] = [.connect, .tls, .ehlo, .auth]
        let index = try #require(order.firstIndex(of: testCase.failing))
        for earlier in order[..<index] {
            #expect(checks[earlier]?.outcome != .failed, "\(earlier) failed too")
        }
        for later in order[(index + 1)...] {
            #expect(checks[later]?.outcome != .ok, "\(later) passed after \(testCase.failing) failed")
        }
    }

    @Test("a session that authenticated passes every check")
    func success() {
        let checks = Self.checks(Self.session(through: 4))
        for name in [ServerCheck.Name.connect, .tls, .ehlo, .auth] {
            #expect(checks[name]?.outcome == .ok, "\(name): \(checks[name]?.detail ?? "missing")")
        }
    }

    @Test("credentials over an unencrypted connection are a warning, not a pass")
    func plaintextCredentials() {
        let checks = Self.checks(Self.session(through: 1), security: .none)
        #expect(checks[.tls]?.outcome == .warning)
        #expect(checks[.tls]?.reason == "NO_TLS")
    }
}

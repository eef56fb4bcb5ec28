import MailgateCore
import Testing

@Suite("Reading SMTP replies and capabilities for ValidateServer")
struct DiagnosisTests {
    @Test(
        "known replies map to their causes",
        arguments: [
            (
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
                ReplyDiagnosis.Stage.auth, AuthenticationType.oauth2, "SMTP_AUTH_DISABLED"
            ),
            (
                "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.", .auth, .basic,
                "BASIC_AUTH_DISABLED"
            ),
            ("535 5.7.3 Authentication unsuccessful", .auth, .oauth2, "OAUTH_SEND_NOT_PERMITTED"),
            ("535 5.7.3 Authentication unsuccessful", .auth, .basic, "CREDENTIALS_REJECTED"),
            ("535 5.7.8 Username and Password not accepted.", .auth, .basic, "CREDENTIALS_REJECTED"),
            ("534 5.7.9 Application-specific password required.", .auth, .basic, "APP_PASSWORD_REQUIRED"),
            ("454 4.7.0 Temporary authentication failure", .auth, .basic, "AUTH_TEMPORARILY_FAILED"),
            ("530 5.7.57 Client not authenticated to send mail.", .mailFrom, .none, "AUTHENTICATION_REQUIRED"),
            (
                "554 5.2.252 SendAsDenied; a@b.example not allowed to send as c@b.example", .data, .oauth2,
                "SEND_AS_DENIED"
            ),
            (
                "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.", .mailFrom, .basic,
                "ACCOUNT_BLOCKED"
            ),
            ("550 5.7.1 Relaying denied", .rcpt, .none, "RELAY_DENIED"),
            ("550 5.1.1 No such user", .rcpt, .none, "RECIPIENT_REJECTED"),
            ("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", .data, .oauth2, "THROTTLED"),
            ("451 4.3.0 Try again later", .data, .none, "TEMPORARILY_REFUSED"),
            ("554 5.7.1 No SMTP service here", .greeting, .none, "GREETING_REFUSED"),
        ]
    )
    func causes(reply: String, stage: ReplyDiagnosis.Stage, authType: AuthenticationType, reason: String) {
        let cause = ReplyDiagnosis.cause(of: reply, at: stage, authType: authType)
        #expect(cause.reason == reason)
        #expect(!cause.remedy.isEmpty)
    }

    @Test("the enhanced status code is read after the reply code, or is empty")
    func enhancedCode() {
        #expect(ReplyDiagnosis.enhancedCode(in: "535 5.7.139 Authentication unsuccessful") == "5.7.139")
        #expect(ReplyDiagnosis.enhancedCode(in: "250-SIZE 1000") == "")
        #expect(ReplyDiagnosis.enhancedCode(in: "421 Service not available") == "")
    }

    @Test("EHLO capabilities: AUTH mechanisms (also AUTH=), SIZE and the extensions that matter")
    func capabilities() {
        let capabilities = SMTPCapabilities(ehloReply: [
            "250-smtp.office365.com Hello [192.0.2.1]", "250-SIZE 157286400", "250-PIPELINING",
            "250-AUTH LOGIN XOAUTH2",
            "250-AUTH=LOGIN", "250-8BITMIME", "250 SMTPUTF8",
        ])
        #expect(capabilities.authMechanisms == ["LOGIN", "XOAUTH2"])
        #expect(capabilities.sizeLimit == 157_286_400)
        #expect(capabilities.offers("PIPELINING") && !capabilities.offers("STARTTLS"))
        #expect(capabilities.summary == "AUTH LOGIN XOAUTH2; SIZE 157286400 (150 MiB); PIPELINING; SMTPUTF8; 8BITMIME")
        #expect(SMTPCapabilities(ehloReply: ["250 mx.example"]).summary == "no AUTH")
    }

    @Test("a validation passes unless a check failed; the summary names the first failure or the warnings")
    func summary() {
        let passing = [
            ServerCheck(.dns, .ok, detail: ""), ServerCheck(.tls, .warning, detail: ""),
            ServerCheck(.token, .skipped, detail: ""),
        ]
        #expect(passing.allPassed && passing.summary == "ok with warnings: tls")
        let failing =
            passing + [.failed(.auth, .smtpAuthDisabled, detail: ""), .failed(.testMessage, .relayDenied, detail: "")]
        #expect(!failing.allPassed && failing.summary == "failed at auth (SMTP_AUTH_DISABLED)")
    }
}

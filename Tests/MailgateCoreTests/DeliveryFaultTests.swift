import MailgateCore
import Testing

/// Which failed attempts fail the message and which block the server, from replies real
/// servers give (Exchange Online, Gmail, Postfix).
@Suite("Delivery faults")
struct DeliveryFaultTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var stage: DeliveryFault.Stage
        var reply: String
        var auth = AuthenticationType.basic
        var transport: KnownCause? = nil
        var expected: DeliveryFault
        var testDescription: String { "\(self.stage): \(self.reply.isEmpty ? "no reply" : self.reply)" }

        /// What the classification makes of this case.
        var fault: DeliveryFault {
            DeliveryFault.classify(
                stage: self.stage,
                replyCode: Int(self.reply.prefix(3)) ?? 0,
                reply: self.reply,
                authType: self.auth,
                transportCause: self.transport
            )
        }
    }

    static let cases: [Case] = [
        // The server or its configuration: the message waits, the server is blocked.
        Case(stage: .resolve, reply: "", transport: .hostNotFound, expected: .server(.hostNotFound)),
        Case(stage: .connect, reply: "", transport: .connectionRefused, expected: .server(.connectionRefused)),
        Case(stage: .tls, reply: "", transport: .certificateUntrusted, expected: .server(.certificateUntrusted)),
        Case(
            stage: .tls,
            reply: "",
            transport: .certificateHostMismatch,
            expected: .server(.certificateHostMismatch)
        ),
        Case(stage: .tls, reply: "", transport: .startTLSNotOffered, expected: .server(.startTLSNotOffered)),
        Case(
            stage: .greeting,
            reply: "421 4.3.2 Service not available, closing transmission channel",
            expected: .server(.throttled)
        ),
        Case(
            stage: .greeting,
            reply: "554 5.7.1 mx.example.org ESMTP not accepting connections from your address",
            expected: .server(.greetingRefused)
        ),
        Case(
            stage: .auth,
            reply: "535 5.7.8 Authentication credentials invalid",
            expected: .server(.credentialsRejected)
        ),
        Case(
            stage: .auth,
            reply:
                "535 5.7.8 Username and Password not accepted. Learn more at https://support.google.com/mail/?p=BadCredentials",
            expected: .server(.credentialsRejected)
        ),
        Case(
            stage: .auth,
            reply: "534-5.7.9 Application-specific password required.",
            expected: .server(.appPasswordRequired)
        ),
        Case(
            stage: .auth,
            reply:
                "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            auth: .oauth2,
            expected: .server(.smtpAuthDisabled)
        ),
        Case(
            stage: .auth,
            reply: "535 5.7.3 Authentication unsuccessful",
            auth: .oauth2,
            expected: .server(.oauthNotPermitted)
        ),
        Case(
            stage: .auth,
            reply: "530 5.7.57 Client not authenticated to send mail.",
            expected: .server(.authenticationRequired)
        ),
        Case(
            stage: .auth,
            reply: "454 4.7.0 Temporary authentication failure",
            expected: .server(.authTemporarilyFailed)
        ),
        Case(
            stage: .mailFrom,
            reply:
                "550 5.7.60 SMTP; Client does not have permissions to send as this sender [SendAsDenied; ...]",
            expected: .server(.sendAsDenied)
        ),
        Case(
            stage: .rcpt,
            reply: "554 5.7.1 <someone@elsewhere.example>: Relay access denied",
            expected: .server(.relayDenied)
        ),
        // The message itself: it fails.
        Case(
            stage: .rcpt,
            reply: "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table",
            expected: .message(.recipientRejected)
        ),
        Case(
            stage: .mailFrom,
            reply: "552 5.3.4 Message size exceeds fixed limit",
            expected: .message(.messageTooBig)
        ),
        Case(
            stage: .data,
            reply: "552-5.2.3 Your message exceeded Google's message size limits.",
            expected: .message(.messageTooBig)
        ),
        Case(
            stage: .data,
            reply: "554 5.6.0 Message contains invalid header",
            expected: .message(.messageRejected)
        ),
        Case(
            stage: .data,
            reply: "550 5.7.1 Message rejected as spam by Content Filtering.",
            expected: .message(.messageRejected)
        ),
        Case(
            stage: .data,
            reply:
                "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception",
            expected: .server(.sendAsDenied)
        ),
        // Passing conditions: retried on the usual backoff.
        Case(stage: .rcpt, reply: "450 4.2.1 Mailbox busy, try again later", expected: .transient),
        Case(stage: .data, reply: "451 4.3.0 Error: queue file write error", expected: .transient),
        Case(stage: .mailFrom, reply: "451 4.7.1 Try again later", expected: .transient),
    ]

    @Test("each reply is a server fault, a message fault or a passing condition", arguments: cases)
    func classify(_ testCase: Case) {
        let fault = testCase.fault
        #expect(fault == testCase.expected)
    }

    @Test("every server fault names a cause with a remedy an operator can act on", arguments: cases)
    func remedies(_ testCase: Case) {
        let fault = testCase.fault
        if case .server(let cause) = fault {
            #expect(!cause.reason.isEmpty)
            #expect(!cause.remedy.isEmpty)
        }
    }
}

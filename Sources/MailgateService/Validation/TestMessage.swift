import Foundation
import MailgateCore
import MailgateMail
import MailgateStore
import NIOPosix

/// ValidateServer's test message: composed like any message, stored already claimed
/// (so `GetMessage` finds it and no worker takes it), sent synchronously on a new
/// connection, and recorded like any attempt. It is tried once: a failure is final,
/// and an unanswered end of data is never sent again. A draft's test message is sent the
/// same way but never stored: the draft has no row for it to belong to.
struct TestMessage {
    let run: ValidationRun
    let accessToken: Secret?

    func send() async -> (ServerCheck, UUID?) {
        let validator = self.run.validator
        let server = self.run.server
        let definition = server.definition
        guard let limit = self.run.clock.budget(ValidationRun.testMessageLimit) else {
            return (.failed(.testMessage, .notEnoughTime, detail: "no time left"), nil)
        }
        let recipient =
            self.run.request.testRecipient.isEmpty ? definition.senderAddress : self.run.request.testRecipient
        guard let sender = EmailAddress(definition.senderAddress) else {
            return (
                ServerCheck(
                    .testMessage,
                    .failed,
                    detail: "the server has no valid sender address",
                    reason: "SERVER_MISCONFIGURED",
                    remedy: "Set the sender address with `mailgate server put`."
                ), nil
            )
        }
        let now = Date()
        let draft = MessageDraft(
            to: [MessageDraft.Mailbox(recipient)],
            subject: "Mailgate test message for server \(definition.name)",
            textBody: """
                This is a test message from Mailgate, sent by ValidateServer to check output server "\(definition.name)" \
                of tenant "\(self.run.tenant.slug)" (\(definition.host):\(self.run.port)).

                It arrived, so the server works. Nothing needs to be done.

                Sent at \(now.formatted(.iso8601)).
                """
        )
        let composed: ComposedMessage
        do {
            composed = try MessageComposer(
                sender: MailAddress(sender, displayName: definition.senderName),
                limits: validator.settings.limits
            ).compose(draft, date: now)
        } catch {
            return (
                ServerCheck(
                    .testMessage,
                    .failed,
                    detail: "cannot address the test message: \(error.summary)",
                    reason: "INVALID_RECIPIENT",
                    remedy: "Give a valid recipient with `--to`."
                ), nil
            )
        }
        if self.run.isDraft {
            let started = ContinuousClock.now
            let smtp = await self.deliver(
                composed.bytes,
                from: sender.description,
                to: composed.envelopeRecipients,
                limit: limit
            )
            let took = ValidationRun.milliseconds(since: started)
            return (self.check(smtp, recipient: recipient, id: nil, took: took), nil)
        }
        let message = NewMessage(
            own: composed,
            subject: draft.subject,
            from: sender,
            through: server,
            tags: ["mailgate": "validation-test"],
            // The tenant's own test, through its own server: its keys may read it.
            isInternal: false
        )
        let token = UUID()
        let owner = DeliveryQueue.synchronousOwnerPrefix + validator.owner
        let claimed: ClaimedMessage
        do {
            claimed = try await validator.queue.insertClaimed(
                message,
                owner: owner,
                token: token,
                lease: limit + .seconds(60)
            )
        } catch let busy as ServerBusy {
            // Not a verdict on the server: it is busy by its own limits or asked to slow down.
            return (
                ServerCheck(
                    .testMessage,
                    .warning,
                    detail:
                        "not sent: the server's mail waits (\(busy.reason)) until \(busy.until.formatted(.iso8601)); a test message now would jump that queue",
                    reason: KnownCause.throttled.reason,
                    remedy: "Validate again after that time, or raise the server's limits."
                ), nil
            )
        } catch {
            return (
                ServerCheck(
                    .testMessage,
                    .failed,
                    detail: "the test message could not be stored: the database is unavailable",
                    reason: "DATABASE_UNAVAILABLE",
                    remedy: "Retry once the database is reachable."
                ), nil
            )
        }
        let started = ContinuousClock.now
        let startedAt = Date()
        let smtp = await self.deliver(claimed.body, from: claimed.envelopeFrom, to: claimed.recipients, limit: limit)
        let took = ValidationRun.milliseconds(since: started)
        let decision = DeliveryDecision(retry: RetryPolicy(giveUpAfter: .zero), uncertainPolicy: .fail, now: Date())
        let attempt: AttemptResult =
            if let smtp {
                decision.decide(smtp, message: claimed, startedAt: startedAt).attempt
            } else {
                decision.notAttempted(
                    claimed,
                    EndpointUnavailable(
                        reason: "the session did not finish within \(Int(limit.seconds)) s",
                        retryable: false
                    )
                )
            }
        // A database hiccup must not leave the message to lease recovery (which fails it, but late).
        for pause in [0, 200, 1000] {
            try? await Task.sleep(for: .milliseconds(pause))
            if (try? await validator.queue.complete(owner: owner, token: token, results: [attempt])) != nil { break }
        }
        return (self.check(smtp, recipient: recipient, id: claimed.id, took: took), claimed.id)
    }

    private func deliver(_ body: [UInt8], from sender: String, to recipients: [String], limit: Duration) async
        -> SMTPResult?
    {
        let validator = self.run.validator
        let endpoint: SMTPEndpoint
        do {
            endpoint = try self.run.server.smtpEndpoint(
                vault: validator.vault,
                accessToken: self.accessToken,
                caFile: validator.settings.caFile,
                destinations: validator.settings.destinations,
                timeout: limit
            )
        } catch {
            return nil
        }
        var fresh = endpoint
        fresh.reuseConnection = false
        fresh.connectTimeout = min(ValidationRun.connectLimit, limit)
        // libcurl stops itself just before the wait does.
        fresh.totalTimeout = max(.milliseconds(100), limit - .milliseconds(300))
        return await withTimeLimit(limit) { [threads = validator.threads, fresh] in
            try? await threads.runIfActive {
                CurlSMTPClient().send(message: body, from: sender, to: recipients, through: fresh)
            }
        }.flatMap { $0 }
    }

    /// `id`: the stored test message's; nil for a draft's (not stored).
    private func check(_ smtp: SMTPResult?, recipient: String, id: UUID?, took: Int) -> ServerCheck {
        let stored = id.map { "message \($0.uuidString.lowercased())" } ?? "a draft's, not stored"
        guard let smtp else {
            return .failed(
                .testMessage,
                .connectionLost,
                detail: "no result within the time limit (\(stored))",
                durationMilliseconds: took
            )
        }
        if smtp.outcome == .delivered, smtp.rejectedRecipients.isEmpty {
            return ServerCheck(
                .testMessage,
                .ok,
                detail: "accepted for \(recipient): \(smtp.reply) (\(stored))",
                durationMilliseconds: took
            )
        }
        let reply = smtp.rejectedRecipients[recipient] ?? smtp.reply
        let stage: ReplyDiagnosis.Stage? =
            switch smtp.stage {
            case .greeting: .greeting
            case .ehlo: .ehlo
            case .auth: .auth
            case .mailFrom: .mailFrom
            case .rcpt: .rcpt
            case .data, .done: .data
            case .resolve, .connect, .tls: nil
            }
        let authType = self.run.server.definition.authType ?? .none
        let cause = stage.map { ReplyDiagnosis.cause(of: reply, at: $0, authType: authType) } ?? .connectionLost
        let outcome = smtp.outcome == .uncertain ? "no reply after the end of data (not sent again)" : reply
        return .failed(
            .testMessage,
            cause,
            detail: "to \(recipient): \(outcome) (\(stored))",
            durationMilliseconds: took
        )
    }
}

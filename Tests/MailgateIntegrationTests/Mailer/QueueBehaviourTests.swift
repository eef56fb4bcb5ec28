import Foundation
import MailgateClient
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import PostgresNIO
import SwiftProtobuf
import Testing

@Suite("The queue: retries, permanent failures, schedules, cancels, limits")
struct QueueBehaviourTests {
    @Test("a 4xx reply is retried and then delivered")
    func transientThenDelivered() async throws {
        try await MailFixture.run(smtpArguments: ["--tempfail-data", "1"]) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let message = try await fixture.waitFor(sent.messageID, state: .sent)
            #expect(message.attempts == 2)
            #expect(message.history.map(\.outcome) == ["transient_failure", "delivered"])
            #expect(message.history.first?.reply.hasPrefix("451") == true)
            #expect(try fixture.smtp.received().count == 1)
        }
    }

    @Test("a 5xx reply fails the message for good and raises a message_failed event")
    func permanentFailure() async throws {
        try await MailFixture.run(smtpArguments: ["--reject-data"]) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let message = try await fixture.waitFor(sent.messageID, state: .failed)
            #expect(message.attempts == 1)
            #expect(message.lastError.hasPrefix("554"))
            var events = Mailgate_V1_ListEventsRequest()
            events.kind = "message_failed"
            let listed = try await fixture.client.listEvents(events)
            #expect(listed.events.contains { $0.message.contains(sent.messageID) })
        }
    }

    @Test("partial recipient rejection: accepted recipients get it, each recipient's reply is kept")
    func partialRejection() async throws {
        try await MailFixture.run { fixture in
            let sent = try await fixture.client.sendMail(
                MailFixture.message(to: ["alice@example.org", "reject-bob@example.org"])
            )
            let message = try await fixture.waitFor(sent.messageID, state: .sent)
            let results = Dictionary(uniqueKeysWithValues: message.recipientResults.map { ($0.address, $0) })
            #expect(results["alice@example.org"]?.replyCode == 250)
            #expect(results["reject-bob@example.org"]?.replyCode == 550)
            #expect(try fixture.smtp.received().first?.envelope["rcpt_tos"] as? [String] == ["alice@example.org"])
        }
    }

    @Test("a recipient deferred with 4xx is retried alone; the others are not sent twice")
    func deferredRecipientRetriedAlone() async throws {
        // Room for a retry even when a loaded machine makes the first attempt late.
        try await MailFixture.run(giveUpAfter: .seconds(12)) { fixture in
            let sent = try await fixture.client.sendMail(
                MailFixture.message(to: ["alice@example.org", "tempfail-dan@example.org"])
            )
            let message = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(40))
            #expect(message.attempts >= 2)
            let results = Dictionary(uniqueKeysWithValues: message.recipientResults.map { ($0.address, $0) })
            #expect(results["tempfail-dan@example.org"]?.replyCode == 451)
            #expect(try fixture.smtp.received().count == 1, "alice got it once, in the first attempt")
        }
    }

    @Test("Exchange's 432 4.3.2 defers the message and pauses the server instead of failing")
    func throttlingDefers() async throws {
        try await MailFixture.run(smtpArguments: ["--throttle-data", "1"]) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let message = try await fixture.waitFor(sent.messageID, state: .sent)
            #expect(message.history.map(\.outcome) == ["deferred", "delivered"])
            #expect(message.history.first?.reply.hasPrefix("432 4.3.2") == true)
            var events = Mailgate_V1_ListEventsRequest()
            events.kind = "server_throttled"
            let throttled = try await fixture.client.listEvents(events).events
            #expect(throttled.count == 1)
            #expect(throttled.first?.message.contains("relay") == true)
        }
    }

    @Test(
        "Exchange's used-up sending quota (554 5.2.0 SubmissionQuotaExceeded) pauses the server: the message waits it out instead of failing"
    )
    func quotaDefers() async throws {
        try await MailFixture.run(smtpArguments: ["--quota-data", "1"]) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let message = try await fixture.waitFor(sent.messageID, state: .sent, limit: .seconds(20))
            #expect(message.history.map(\.outcome) == ["deferred", "delivered"])
            let deferred = try #require(message.history.first)
            #expect(deferred.reply.contains("SubmissionQuotaExceeded"))
            let delivered = try #require(message.history.last)
            // The quota pause is 2 s here (an hour by default), the throttling pause 0.7 s.
            #expect(delivered.startedAt.date.timeIntervalSince(deferred.startedAt.date) >= 1.9)
            let paused = try await fixture.events(kind: "server_throttled")
            #expect(paused.count == 1)
            #expect(paused.first?.message.contains("sending quota used up") == true, "\(paused)")
            #expect(try await fixture.events(kind: "message_failed").isEmpty)
        }
    }

    @Test("after a throttling reply the rest of the server's batch goes back untouched instead of being refused too")
    func throttlingReleasesTheBatch() async throws {
        try await MailFixture.run(smtpArguments: ["--throttle-data", "1"], workers: 1) { fixture in
            // Due together (and late enough for a loaded machine), so the single worker claims all three at once.
            let due = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(2))
            var ids: [String] = []
            for index in 0..<3 {
                var request = MailFixture.message(subject: "batch \(index)")
                request.notBefore = due
                ids.append(try await fixture.client.sendMail(request).messageID)
            }
            var attempts: [Mailgate_V1_DeliveryAttempt] = []
            for id in ids { attempts += try await fixture.waitFor(id, state: .sent).history }
            let deferred = attempts.filter { $0.outcome == "deferred" }
            #expect(deferred.count == 1)
            let pausedAt = try #require(deferred.first).startedAt.date
            // The pause is 0.7 s: nothing may be attempted against the server before it ends.
            #expect(
                attempts.filter { $0.outcome == "delivered" }.allSatisfy {
                    $0.startedAt.date.timeIntervalSince(pausedAt) >= 0.6
                }
            )
            #expect(try fixture.smtp.received().count == 3)
        }
    }

    @Test("graceful shutdown lets the send in flight finish and hands the rest of the batch back")
    func gracefulShutdown() async throws {
        try await TestDatabase.withFresh { database in
            let received = try await MailFixture.run(
                smtpArguments: ["--delay-ms", "3000"],
                workers: 1,
                database: database
            ) { fixture in
                // Due together, and late enough that all three are stored first even while the
                // whole suite loads the machine, so one claim takes all three.
                let due = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(15))
                for index in 0..<3 {
                    var request = MailFixture.message(subject: "shutdown \(index)")
                    request.notBefore = due
                    _ = try await fixture.client.sendMail(request)
                }
                _ = try await eventually(limit: .seconds(40)) {
                    try await fixture.admin.database.withClient { postgres in
                        let rows = try await postgres.query(
                            "SELECT count(*) FROM messages WHERE state = 'sending'",
                            logger: .init(label: "test")
                        )
                        for try await count in rows.decode(Int.self) where count == 3 { return true }
                        return nil
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                return fixture.smtp
            }
            // The application has stopped: one message went out during the drain, two wait, untouched.
            #expect(try received.received().count == 1)
            try await database.withClient { postgres in
                let rows = try await postgres.query(
                    "SELECT state, attempts, lease_token IS NULL FROM messages ORDER BY state",
                    logger: .init(label: "test")
                )
                var states: [String] = []
                for try await (state, attempts, unleased) in rows.decode((String, Int, Bool).self) {
                    states.append(state)
                    #expect(unleased)
                    if state == "queued" { #expect(attempts == 0) }
                }
                #expect(states == ["queued", "queued", "sent"])
            }
        }
    }

    @Test("no reply after the final dot is uncertain: retried under policy retry (a duplicate is possible)")
    func uncertainRetried() async throws {
        try await MailFixture.run(smtpArguments: ["--drop-after-data", "1"]) { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let message = try await fixture.waitFor(sent.messageID, state: .sent)
            #expect(message.uncertain)
            #expect(message.history.first?.outcome == "uncertain")
            let received = try fixture.smtp.received()
            #expect(received.count == 2)
            let ids = received.map {
                String(decoding: $0.bytes, as: UTF8.self).contains("Message-ID: \(sent.rfc822MessageID)")
            }
            #expect(ids == [true, true], "both copies carry the same Message-ID for de-duplication")
        }
    }

    @Test("no reply after the final dot under policy fail: failed, never sent twice")
    func uncertainFailed() async throws {
        try await MailFixture.run(smtpArguments: ["--drop-after-data", "1"]) { server in
            server.uncertainPolicy = .fail
        } _: { fixture in
            let sent = try await fixture.client.sendMail(MailFixture.message())
            let message = try await fixture.waitFor(sent.messageID, state: .failed)
            #expect(message.uncertain)
            #expect(message.lastError.contains("uncertain"))
            #expect(try fixture.smtp.received().count == 1)
        }
    }

    @Test("a scheduled message waits for not_before")
    func scheduledSend() async throws {
        try await MailFixture.run { fixture in
            var request = MailFixture.message()
            let notBefore = Date().addingTimeInterval(3)
            request.notBefore = Google_Protobuf_Timestamp(date: notBefore)
            let sent = try await fixture.client.sendMail(request)
            try await Task.sleep(for: .milliseconds(800))
            let waiting = try await fixture.get(sent.messageID)
            let receivedEarly = try fixture.smtp.received()
            // Only meaningful while not_before is still ahead (a loaded machine may have slept long).
            if Date() < notBefore.addingTimeInterval(-0.2) {
                #expect(waiting.state == .queued)
                #expect(abs(waiting.nextAttemptAt.date.timeIntervalSince(notBefore)) < 1)
                #expect(receivedEarly.isEmpty)
            }
            let message = try await fixture.waitFor(sent.messageID, state: .sent)
            #expect(message.sentAt.date >= notBefore.addingTimeInterval(-0.5))
        }
    }

    @Test("a queued message can be cancelled; a sent one cannot")
    func cancel() async throws {
        try await MailFixture.run { fixture in
            var later = MailFixture.message()
            later.notBefore = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(3600))
            let scheduled = try await fixture.client.sendMail(later)
            var cancel = Mailgate_V1_CancelMessageRequest()
            cancel.messageID = scheduled.messageID
            #expect(try await fixture.client.cancelMessage(cancel).state == .cancelled)
            #expect(try await fixture.client.cancelMessage(cancel).state == .cancelled, "cancelling twice is harmless")
            #expect(try await fixture.get(scheduled.messageID).state == .cancelled)

            let now = try await fixture.client.sendMail(MailFixture.message())
            _ = try await fixture.waitFor(now.messageID, state: .sent)
            cancel.messageID = now.messageID
            let error = await expectRPCError { _ = try await fixture.client.cancelMessage(cancel) }
            #expect(error?.code == .failedPrecondition)
            cancel.messageID = "not-a-message-id"
            #expect(
                await expectRPCError { _ = try await fixture.client.cancelMessage(cancel) }?.code == .invalidArgument
            )
        }
    }

    @Test("the server's rate limit holds: at most N messages a minute")
    func rateLimit() async throws {
        try await MailFixture.run(workers: 4) { server in
            server.rateLimitPerMinute = 3
        } _: { fixture in
            var ids: [String] = []
            for index in 0..<6 {
                ids.append(try await fixture.client.sendMail(MailFixture.message(subject: "n\(index)")).messageID)
            }
            _ = try await eventually(limit: .seconds(10)) { try fixture.smtp.received().count >= 3 ? true : nil }
            try await Task.sleep(for: .seconds(2))
            #expect(try fixture.smtp.received().count == 3)
            var states: [Mailgate_V1_MessageState] = []
            for id in ids { states.append(try await fixture.get(id).state) }
            #expect(states.filter { $0 == .queued }.count == 3)
        }
    }
}

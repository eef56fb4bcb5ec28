import Foundation
import Logging
import MailgateCore
import MailgateStore
import ServiceLifecycle

/// Posts the webhook outbox. Every replica runs it: each round claims up to `workers` due
/// deliveries (`FOR UPDATE SKIP LOCKED` under a lease, so replicas never post the same one
/// at once, and a replica that dies leaves them to others when the lease runs out), posts
/// them concurrently and records each attempt. 2xx delivers; anything else is retried with
/// backoff until the policy gives up and the delivery fails.
public struct WebhookDeliveryService: Service {
    let owner: String
    let outbox: WebhookOutbox
    let poster: WebhookPoster
    let settings: WebhookSettings
    let metrics: ServiceMetrics
    let logger: Logger

    /// Claims and posts until graceful shutdown, keeping up to `workers` posts in flight: a
    /// free slot is filled as soon as a post ends, so one slow receiver holds up only its own
    /// slot. A graceful shutdown lets the posts in progress finish (each is bounded by the timeout).
    public func run() async {
        guard self.settings.workers > 0 else { return }
        self.metrics.webhookFailuresAtZero()
        await withTaskGroup(of: Finished.self) { tasks in
            var inFlight = 0
            var ticking = false
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let claimed = inFlight < self.settings.workers ? await self.claim(self.settings.workers - inFlight) : []
                for delivery in claimed {
                    tasks.addTask {
                        await self.deliver(delivery)
                        return .post
                    }
                }
                inFlight += claimed.count
                if !claimed.isEmpty && inFlight < self.settings.workers { continue }
                if inFlight > 0 {
                    // Full: look again when a post ends. Slots free but nothing due: also after
                    // the poll interval, so what falls due meanwhile does not wait for a slow post.
                    if !ticking && inFlight < self.settings.workers {
                        ticking = true
                        tasks.addTask {
                            try? await cancelWhenGracefulShutdown {
                                try await Task.sleep(for: self.settings.pollInterval)
                            }
                            return .tick
                        }
                    }
                    switch await tasks.next() {
                    case .post: inFlight -= 1
                    case .tick: ticking = false
                    case nil: break
                    }
                } else {
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.pollInterval) }
                }
            }
        }
    }

    /// What a task of the run loop was: a post, or the poll interval's wait.
    private enum Finished { case post, tick }

    /// Up to `limit` due deliveries; none when the claim fails (logged; the next round tries again).
    private func claim(_ limit: Int) async -> [ClaimedWebhookDelivery] {
        do {
            return try await self.outbox.claim(owner: self.owner, limit: limit, lease: self.settings.lease)
        } catch {
            self.logger.warning(
                "claiming webhook deliveries failed; trying again after the poll interval",
                metadata: ["error": "\(String(reflecting: StoreError.classifying(error)))"]
            )
            return []
        }
    }

    /// Posts one delivery and records the attempt and what follows from it.
    func deliver(_ delivery: ClaimedWebhookDelivery) async {
        let result = await self.poster.post(delivery)
        let decision = self.settings.retry.decide(
            status: result.status,
            retryAfter: result.retryAfter,
            attempts: delivery.attempt,
            createdAt: delivery.createdAt,
            now: Date()
        )
        let outcome: WebhookOutbox.Outcome =
            switch decision {
            case .delivered: .delivered
            case .retry(let at): .retry(at: at)
            case .giveUp: .failed
            }
        var metadata: Logger.Metadata = [
            "delivery": "\(delivery.id.uuidString.lowercased())",
            "subscription": "\(delivery.subscriptionID.uuidString.lowercased())",
            "tenant": "\(delivery.payload.tenant.slug)", "event": "\(delivery.payload.id)",
            "kind": "\(delivery.payload.kind)", "attempt": "\(delivery.attempt)",
            "status": "\(result.status.map(String.init) ?? "none")",
            "duration_ms": "\(result.attempt.durationMilliseconds)",
        ]
        if !result.attempt.error.isEmpty { metadata["error"] = "\(result.attempt.error)" }
        do {
            let recorded = try await self.outbox.complete(
                delivery.id,
                owner: self.owner,
                attempt: result.attempt,
                outcome: outcome
            )
            guard recorded else {
                self.logger.warning(
                    "webhook delivery's lease ran out before its attempt was recorded; another worker tries it",
                    metadata: metadata
                )
                return
            }
        } catch {
            metadata["store_error"] = "\(String(reflecting: StoreError.classifying(error)))"
            self.logger.warning(
                "recording a webhook attempt failed; the delivery is tried again when its lease runs out",
                metadata: metadata
            )
            return
        }
        switch outcome {
        case .delivered:
            self.metrics.webhookAttempt(outcome: "delivered", status: result.status)
            self.logger.info("webhook delivered", metadata: metadata)
        case .retry(let at):
            self.metrics.webhookAttempt(outcome: "retry", status: result.status)
            metadata["next_attempt_at"] = "\(at)"
            self.logger.notice("webhook attempt failed; it will be retried", metadata: metadata)
        case .failed:
            self.metrics.webhookAttempt(outcome: "failed", status: result.status)
            self.logger.warning("webhook delivery failed for good: no more attempts", metadata: metadata)
        }
    }
}

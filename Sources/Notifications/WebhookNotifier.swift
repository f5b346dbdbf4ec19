package import Foundation
package import JobQueue
package import Logging
package import Records
package import RedisClient
package import ServerJobs

/// The platform's `Notifier`: for each enabled webhook that wants the event, a deliveries row
/// (the event's payload) and a `notify-queue` job with the row's id as its id. The row is written
/// first; a crash before the job is added leaves a row `enqueueStranded` picks up.
package struct WebhookNotifier: Notifier {
    let webhooks: WebhookRepository
    let deliveries: WebhookDeliveryRepository
    package let queue: Queue
    let settings: WebhookDeliverySettings
    let logger: Logger

    package init(
        webhooks: WebhookRepository, deliveries: WebhookDeliveryRepository, redis: RedisConnectionPool, prefix: String = "bull",
        settings: WebhookDeliverySettings = WebhookDeliverySettings(), logger: Logger
    ) throws {
        self.webhooks = webhooks
        self.deliveries = deliveries
        queue = try Queue(name: NotifyQueue.name, prefix: prefix, redis: redis)
        self.settings = settings
        self.logger = logger
    }

    package func notify(_ event: NotificationEvent) async {
        do {
            let subscribers = try await webhooks.subscribers(to: event.name.rawValue)
            guard !subscribers.isEmpty else { return }
            let payload = WebhookBody.storedPayload(summary: event.summary, data: event.data, occurredAt: event.occurredAt)
            for webhook in subscribers {
                let delivery = try await deliveries.create(webhookId: webhook.id, event: event.name.rawValue, payload: payload)
                try await enqueue(delivery)
            }
        } catch {
            logger.error("could not queue a notification", metadata: ["event": "\(event.name.rawValue)", "error": "\(error)"])
        }
    }

    /// Adds the delivery's job (a second add of the same id is a no-op) and marks the row enqueued.
    func enqueue(_ delivery: WebhookDelivery) async throws {
        var options = settings.jobOptions
        options.jobId = delivery.id.lowercasedString
        let job = WebhookDeliveryJob(deliveryId: delivery.id.lowercasedString, webhookId: delivery.webhookId.lowercasedString)
        try await queue.add(NotifyQueue.jobName, data: try JSONValue(encoding: job), options: options)
        try await deliveries.markEnqueued(id: delivery.id)
    }

    /// Enqueues deliveries whose job never reached Redis, once `olderThan` old; returns how many.
    @discardableResult
    package func enqueueStranded(now: Date = Date(), olderThan age: Duration = .seconds(30)) async -> Int {
        do {
            let stranded = try await deliveries.notEnqueued(createdBefore: now.addingTimeInterval(-Double(age.components.seconds)))
            for delivery in stranded { try await enqueue(delivery) }
            if !stranded.isEmpty { logger.warning("queued deliveries whose job never reached Redis", metadata: ["count": "\(stranded.count)"]) }
            return stranded.count
        } catch {
            logger.error("could not queue stranded deliveries", metadata: ["error": "\(error)"])
            return 0
        }
    }

    /// Seals webhook URLs a process of an earlier version stored in the clear since this one
    /// started (during a rolling upgrade), so none stays readable in the table.
    package func sealPlainURLs() async {
        do {
            Self.report(try await webhooks.sealPlainURLs(skippingLocked: true), logger: logger)
        } catch {
            logger.error("could not seal webhook URLs stored in the clear", metadata: ["error": "\(error)"])
        }
    }

    /// Logs what sealing plain URLs did, when it did anything.
    package static func report(_ sealing: WebhookRepository.PlainURLSealing, logger: Logger) {
        // Ids too: after an upgrade no plain row should appear, so one that does is worth a look.
        if !sealing.sealed.isEmpty {
            logger.notice(
                "sealed webhook URLs stored in the clear",
                metadata: ["count": "\(sealing.sealed.count)", "webhooks": "\(sealing.sealed.map(\.lowercasedString).joined(separator: ","))"])
        }
        if !sealing.unsealable.isEmpty {
            logger.warning(
                "webhook URLs left in the clear: they are not http(s) URLs with a host; set a new url or delete the webhook",
                metadata: ["webhooks": "\(sealing.unsealable.map(\.lowercasedString).joined(separator: ","))"])
        }
    }

    /// Settles deliveries no attempt has changed for `settings.abandonedAfter` whose job will not
    /// run again: gone from notify-queue, or ended without its outcome recorded (the database
    /// failed on its last attempt). A row whose job still waits (a paused queue, workers down, a
    /// long backoff) is left. Looks at up to `limit` rows a pass; returns how many it settled.
    @discardableResult
    package func settleAbandoned(limit: Int = 1000) async -> Int {
        let seconds = settings.abandonedAfter.components.seconds
        let unchanged = "no attempt changed this delivery for \(Self.hours(seconds)) h"
        var settled = 0
        var checked = 0
        var cursor: (updatedAt: Date, id: UUID)?
        do {
            while checked < limit {
                let batch = try await deliveries.unchanged(forSeconds: seconds, after: cursor, limit: min(100, limit - checked))
                for delivery in batch {
                    let why: String
                    switch try await queue.getJobState(delivery.id.lowercasedString) {
                    case .unknown: why = "its job is gone from \(NotifyQueue.name)"
                    case .completed, .failed: why = "its job ended without its outcome recorded"
                    default: continue  // still to run
                    }
                    let error = "\(unchanged) and \(why); a later attempt still updates it"
                    if try await deliveries.settle(id: delivery.id, unchangedForSeconds: seconds, error: error) { settled += 1 }
                }
                checked += batch.count
                guard batch.count == 100, let last = batch.last else { break }
                cursor = (last.updatedAt, last.id)
            }
        } catch {
            logger.error("could not settle abandoned deliveries", metadata: ["error": "\(error)"])
        }
        if settled > 0 { logger.warning("settled deliveries no attempt changed", metadata: ["count": "\(settled)", "hours": "\(Self.hours(seconds))"]) }
        return settled
    }

    /// Hours with one decimal, as the README gives them (23.9 h).
    static func hours(_ seconds: Int64) -> String {
        let tenths = seconds / 360
        return "\(tenths / 10).\(tenths % 10)"
    }
}

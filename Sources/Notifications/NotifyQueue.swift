import BlockingIO
package import JobQueue

/// `notify-queue`: one job per delivery (job id = delivery id, data = ids only), so deliveries
/// survive restarts and retry with exponential backoff.
package enum NotifyQueue {
    package static let name = "notify-queue"
    package static let jobName = "webhook:deliver"
}

/// What a delivery job carries: ids, never the secret or the body.
package struct WebhookDeliveryJob: Sendable, Codable, Equatable {
    package var deliveryId: String
    package var webhookId: String

    package init(deliveryId: String, webhookId: String) {
        self.deliveryId = deliveryId
        self.webhookId = webhookId
    }
}

/// How deliveries are attempted. The defaults retry for about a day: 12 attempts, the waits
/// doubling from 42 s (42 s, 84 s, … 11.9 h; 23.9 h in all).
package struct WebhookDeliverySettings: Sendable {
    package var attempts: Int
    /// The first wait; each further one doubles.
    package var backoff: Duration
    /// One request, connection to last byte of the answer.
    package var requestTimeout: Duration
    /// Deliveries this process sends at once (a receiver that never answers holds one slot).
    package var concurrency: Int
    /// `WEBHOOK_ALLOW_PRIVATE`: let webhooks call loopback, private and link-local addresses.
    package var allowPrivateTargets: Bool
    package var lockDuration: Duration

    package init(
        attempts: Int = 12, backoff: Duration = .seconds(42), requestTimeout: Duration = .seconds(10), concurrency: Int = 8,
        allowPrivateTargets: Bool = false, lockDuration: Duration = .seconds(60)
    ) {
        self.attempts = attempts
        self.backoff = backoff
        self.requestTimeout = requestTimeout
        self.concurrency = concurrency
        self.allowPrivateTargets = allowPrivateTargets
        self.lockDuration = lockDuration
    }

    /// How long an unsettled delivery may go unchanged before it is settled as failed: twice the
    /// longest wait between two attempts (23.9 h with the defaults), so a retry still due never is.
    package var abandonedAfter: Duration {
        let doublings = max(0, min(attempts - 2, 40))
        let longestWait = backoff.wholeMilliseconds.multipliedReportingOverflow(by: Int64(1) << doublings)
        return .milliseconds(longestWait.overflow ? Int64.max / 2 : max(longestWait.partialValue, 60_000)) * 2
    }

    /// Completed deliveries' jobs are kept a day (the deliveries table keeps the record), failed ones 7 days.
    package var jobOptions: JobOptions {
        let milliseconds = Int(backoff.wholeMilliseconds)
        return JobOptions(
            attempts: attempts, backoff: .exponential(max(1, milliseconds)),
            removeOnComplete: .policy(age: 86_400, count: 1000, limit: nil),
            removeOnFail: .policy(age: 7 * 86_400, count: nil, limit: nil))
    }
}

/// How one delivery attempt ended, as the metric `medicineman_webhook_deliveries_total` counts it.
package enum WebhookDeliveryResult: String, Sendable, CaseIterable {
    case delivered
    /// Failed; the queue tries again.
    case retried
    /// Failed for good (the last attempt, or the webhook is gone).
    case failed
    /// The target is, or resolves to, a restricted address.
    case refused
}

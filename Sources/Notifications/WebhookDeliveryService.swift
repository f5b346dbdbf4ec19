import Foundation
package import JobQueue
package import Logging
import ServiceLifecycle

/// Runs where workers run: the `notify-queue` worker; every `interval` the pickup of deliveries
/// whose job never reached Redis; every `upkeepInterval` the settling of deliveries no attempt
/// changes any more and the sealing of URLs an earlier version stored in the clear. Each delivery
/// opens and closes its own HTTP client.
package struct WebhookDeliveryService: Service {
    let worker: Worker
    let notifier: WebhookNotifier
    let interval: Duration
    let upkeepInterval: Duration

    package init(
        notifier: WebhookNotifier, deliverer: WebhookDeliverer, settings: WebhookDeliverySettings, interval: Duration = .seconds(15),
        upkeepInterval: Duration = .seconds(600), onEvent: (@Sendable (WorkerEvent) -> Void)? = nil, logger: Logger
    ) {
        self.notifier = notifier
        self.interval = interval
        self.upkeepInterval = upkeepInterval
        worker = Worker(
            queue: notifier.queue,
            options: WorkerOptions(
                concurrency: settings.concurrency, lockDuration: settings.lockDuration,
                stalledInterval: min(.seconds(30), settings.lockDuration), onEvent: onEvent),
            logger: logger, processor: { [deliverer] in try await deliverer.process($0) })
    }

    package func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [notifier, interval, upkeepInterval] in
                let clock = ContinuousClock()
                var nextUpkeep = clock.now
                while !Task.isCancelled, !Task.isShuttingDownGracefully {
                    await notifier.enqueueStranded()
                    if clock.now >= nextUpkeep {
                        await notifier.settleAbandoned()
                        await notifier.sealPlainURLs()
                        nextUpkeep = clock.now + upkeepInterval
                    }
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                }
            }
            try await worker.run()
            try await group.waitForAll()
        }
    }
}

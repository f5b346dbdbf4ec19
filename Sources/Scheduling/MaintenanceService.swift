package import Foundation
package import JobQueue
package import Logging
import ServiceLifecycle

/// The cleanup duty, hourly by default: finished jobs older than the retention are removed from
/// every queue (producers that set no removeOnComplete/removeOnFail included), and the janitor
/// sweeps the backup directory. Several processes may run it; every step is idempotent.
package struct MaintenanceService: PeriodicService {
    package struct Options: Sendable {
        package var interval: Duration
        /// Completed and failed jobs are kept this long.
        package var finishedJobRetention: Duration

        package init(interval: Duration = .seconds(3600), finishedJobRetention: Duration = .seconds(7 * 86_400)) {
            self.interval = interval
            self.finishedJobRetention = finishedJobRetention
        }
    }

    let queues: [Queue]
    let janitor: StorageJanitor
    let options: Options
    let logger: Logger
    /// The same failure in every queue (Redis is down) is one line, not six.
    package let duty: PeriodicDuty

    package init(queues: [Queue], janitor: StorageJanitor, options: Options = Options(), logger: Logger) {
        self.queues = queues
        self.janitor = janitor
        self.options = options
        self.logger = logger
        duty = PeriodicDuty("maintenance", interval: options.interval, clock: { Date() }, logger: logger, failureLogInterval: min(options.interval, .seconds(600)))
    }

    package func pass(now: Date) async {
        await cleanUp()
    }

    /// One pass; returns how many jobs were removed.
    @discardableResult
    package func cleanUp() async -> Int {
        var removed = 0
        for queue in queues {
            for state in [JobState.completed, .failed] {
                do {
                    while true {
                        let batch = try await queue.clean(grace: options.finishedJobRetention, limit: 1000, state: state)
                        removed += batch.count
                        if batch.count < 1000 { break }
                    }
                } catch {
                    duty.failures.failed("cleaning finished jobs failed", error: error, metadata: ["queue": "\(queue.name)"])
                }
            }
        }
        do {
            try await janitor.sweep()
        } catch {
            duty.failures.failed("sweeping the backup directory failed", error: error)
        }
        if removed > 0 { logger.notice("removed finished jobs past their retention", metadata: ["count": "\(removed)"]) }
        return removed
    }
}

package import Foundation
package import JobQueue
package import Logging
package import Records
import ServiceLifecycle

/// The cleanup duty, hourly by default: finished jobs older than the retention are removed from
/// every queue (producers that set no removeOnComplete/removeOnFail included), the janitor
/// sweeps the backup directory, and history past its retention leaves PostgreSQL (so failed
/// logins and deliveries cannot grow the database without end). Several processes may run it;
/// every step is idempotent.
package struct MaintenanceService: PeriodicService {
    package struct Options: Sendable {
        package var interval: Duration
        /// Completed and failed jobs are kept this long.
        package var finishedJobRetention: Duration
        /// Days each kind of history is kept; a kind not named is kept forever.
        package var historyRetentionDays: [HistoryPruner.History: Int]
        /// Rows one statement removes (divided by the kind's `weight`: 500 scans); a pass runs at
        /// most `historyBatches` statements per kind, so a large backlog leaves over several
        /// passes instead of holding the database.
        package var historyBatch = 5000
        package var historyBatches = 40

        package init(
            interval: Duration = .seconds(3600), finishedJobRetention: Duration = .seconds(7 * 86_400),
            historyRetentionDays: [HistoryPruner.History: Int] = [:]
        ) {
            self.interval = interval
            self.finishedJobRetention = finishedJobRetention
            self.historyRetentionDays = historyRetentionDays
        }
    }

    let queues: [Queue]
    let janitor: StorageJanitor
    let history: HistoryPruner?
    let options: Options
    let logger: Logger
    /// The same failure in every queue (Redis is down) is one line, not six.
    package let duty: PeriodicDuty

    package init(queues: [Queue], janitor: StorageJanitor, history: HistoryPruner?, options: Options = Options(), logger: Logger) {
        self.queues = queues
        self.janitor = janitor
        self.history = history
        self.options = options
        self.logger = logger
        duty = PeriodicDuty("maintenance", interval: options.interval, clock: { Date() }, logger: logger, failureLogInterval: min(options.interval, .seconds(600)))
    }

    package func pass(now: Date) async {
        await cleanUp()
        await pruneHistory()
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

    /// Removes history past its retention; how many rows of each kind.
    @discardableResult
    package func pruneHistory() async -> [HistoryPruner.History: Int] {
        guard let history else { return [:] }
        var removed: [HistoryPruner.History: Int] = [:]
        for (kind, days) in options.historyRetentionDays.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let limit = max(1, options.historyBatch / kind.weight)
            do {
                // A statement under way finishes; on shutdown no further one starts.
                for _ in 0..<options.historyBatches where !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let count = try await history.prune(kind, olderThanDays: days, limit: limit)
                    removed[kind, default: 0] += count
                    if count < limit { break }
                }
            } catch {
                // A cancelled statement (the process stops) is no failure to report.
                if !Task.isCancelled {
                    duty.failures.failed("removing history past its retention failed", error: error, metadata: ["table": "\(kind.rawValue)"])
                }
            }
        }
        let counts = removed.filter { $0.value > 0 }
        if !counts.isEmpty {
            logger.notice(
                "removed history past its retention",
                metadata: Logger.Metadata(uniqueKeysWithValues: counts.map { ($0.key.rawValue, "\($0.value)") }))
        }
        return removed
    }
}

package import Foundation
package import JobQueue
package import Logging
package import Records
package import ServerJobs
import ServiceLifecycle

/// Keeps records and jobs in step after crashes, at start and then periodically:
/// - a pending record whose job never reached Redis (the process died between the two writes) is
///   enqueued once it is `enqueueAfter` old;
/// - a pending or running record whose job is gone or failed for good is marked failed, with why.
/// Jobs left active by a dead process come back through the workers' stalled check.
package struct RecordReconciler: PeriodicService {
    package struct Options: Sendable {
        package var interval: Duration
        /// How old a record without its job must be before it is enqueued (its creator may still
        /// be about to enqueue it).
        package var enqueueAfter: Duration

        package init(interval: Duration = .seconds(15), enqueueAfter: Duration = .seconds(30)) {
            self.interval = interval
            self.enqueueAfter = enqueueAfter
        }
    }

    package struct Report: Sendable, Equatable {
        package var enqueued: Int
        package var failed: Int

        package init(enqueued: Int = 0, failed: Int = 0) {
            self.enqueued = enqueued
            self.failed = failed
        }
    }

    let ledger: RecordLedger
    let launcher: ServerJobLauncher
    /// Where the records' jobs are looked for.
    let queues: [Queue]
    let options: Options
    let logger: Logger
    package let duty: PeriodicDuty

    package init(
        ledger: RecordLedger, launcher: ServerJobLauncher, queues: [Queue], options: Options = Options(),
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.ledger = ledger
        self.launcher = launcher
        self.queues = queues
        self.options = options
        self.logger = logger
        duty = PeriodicDuty("record reconciler", interval: options.interval, clock: clock, logger: logger)
    }

    package func pass(now: Date) async {
        await reconcile(now: now)
    }

    @discardableResult
    package func reconcile(now: Date) async -> Report {
        var report = Report()
        do {
            let cutoff = now.addingTimeInterval(-Double(options.enqueueAfter.components.seconds))
            for entry in try await ledger.notEnqueued(createdBefore: cutoff) {
                try await launcher.enqueue(entry, ledger: ledger)
                report.enqueued += 1
                logger.warning("enqueued a record whose job never reached Redis", metadata: ["record": "\(entry.id)", "table": "\(entry.table.rawValue)"])
            }
            var stuck: (any Error)?
            for entry in try await ledger.enqueuedUnfinished() {
                guard let reason = try await Self.failureReason(of: entry, queues: queues) else { continue }
                // One record that cannot be written must not hold back the ones after it.
                do {
                    try await ledger.markFailed(entry, error: reason)
                } catch {
                    stuck = stuck ?? error
                    continue
                }
                report.failed += 1
                logger.warning("marked a record failed: its job cannot finish it", metadata: ["record": "\(entry.id)", "reason": "\(reason)"])
            }
            if let stuck { throw stuck }
            duty.failures.succeeded("reconciling records with jobs works again")
        } catch {
            duty.failures.failed("reconciling records with jobs failed", error: error)
        }
        return report
    }

    /// Why the record can no longer finish, or nil while its job may still finish it.
    static func failureReason(of entry: RecordLedger.Entry, queues: [Queue]) async throws -> String? {
        guard let found = try await Queue.findJob(entry.id.lowercasedString, in: queues) else {
            return "its job no longer exists (removed, or lost with Redis's data); start it again"
        }
        if found.state == .failed { return found.job.failedReason ?? "its job failed" }
        return nil
    }
}

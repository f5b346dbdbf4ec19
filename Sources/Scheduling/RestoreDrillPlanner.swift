package import Foundation
import JobQueue
package import Logging
package import Records
package import ServerJobs
import ServiceLifecycle

/// Starts the restore drills schedules ask for (`drill.everyBackups`, `drill.everyDays`), once
/// per schedule and backup however many processes run it (a unique row per pair; the job id is
/// the drill's id). A queued drill whose job never reached Redis is enqueued on a later pass; an
/// unfinished one whose job failed for good or vanished is marked failed.
package struct RestoreDrillPlanner: PeriodicService {
    package struct Options: Sendable {
        package var interval: Duration
        /// How old an unfinished drill must be before its job is looked for (and enqueued again, or
        /// the drill failed when the job failed or vanished).
        package var enqueueAfter: Duration

        package init(interval: Duration = .seconds(15), enqueueAfter: Duration = .seconds(60)) {
            self.interval = interval
            self.enqueueAfter = enqueueAfter
        }
    }

    let drills: RestoreDrillRepository
    let dispatcher: ServerJobDispatcher
    let options: Options
    let logger: Logger
    package let duty: PeriodicDuty

    package init(
        drills: RestoreDrillRepository, dispatcher: ServerJobDispatcher, options: Options = Options(),
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.drills = drills
        self.dispatcher = dispatcher
        self.options = options
        self.logger = logger
        duty = PeriodicDuty("restore drill planner", interval: options.interval, clock: clock, logger: logger)
    }

    package func pass(now: Date) async {
        await plan(now: now)
    }

    /// Starts every drill due at `now`; returns the drills it started.
    @discardableResult
    package func plan(now: Date) async -> [RestoreDrill] {
        var started: [RestoreDrill] = []
        do {
            for due in try await drills.due(at: now) {
                guard let drill = try await drills.createScheduled(due) else { continue }
                _ = try await dispatcher.enqueue(.drill, recordId: drill.id, serverId: drill.serverId)
                started.append(drill)
                logger.info("restore drill queued", metadata: ["drill": "\(drill.id)", "schedule": "\(due.scheduleId)", "backup": "\(due.backupId)"])
            }
            try await requeueStale(now: now)
            duty.failures.succeeded("planning restore drills works again")
        } catch {
            duty.failures.failed("planning restore drills failed", error: error)
        }
        return started
    }

    private func requeueStale(now: Date) async throws {
        let cutoff = now.addingTimeInterval(-Double(options.enqueueAfter.components.seconds))
        let queues = [dispatcher.queue(ServerJobName.drill.queue)].compactMap { $0 }
        for drill in try await drills.unfinished(createdBefore: cutoff) {
            let jobId = drill.id.lowercasedString
            if let found = try await Queue.findJob(jobId, in: queues) {
                guard found.state == .failed else { continue }
                try await drills.finish(id: drill.id, counts: nil, error: found.job.failedReason ?? "its job failed")
            } else if drill.status == .running {
                try await drills.finish(id: drill.id, counts: nil, error: "its job no longer exists (removed, or lost with Redis's data)")
            } else {
                _ = try await dispatcher.enqueue(.drill, recordId: drill.id, serverId: drill.serverId)
                logger.warning("enqueued a restore drill whose job never reached Redis", metadata: ["drill": "\(drill.id)"])
            }
        }
    }
}

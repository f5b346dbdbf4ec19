package import Foundation
import JobQueue
import JSONSupport
package import Logging
package import Records
package import ServerJobs
import ServiceLifecycle

/// Starts the backups of due schedules, exactly once per occurrence however many processes run
/// it: the occurrence's backup id is derived from the schedule and due time (the row and the job
/// are created once), and moving `next_run_at` is a compare-and-set. After downtime only the
/// latest missed occurrence runs; the skipped ones are counted on the schedule and audited.
package struct BackupScheduler: PeriodicService {
    package struct Options: Sendable {
        /// How often due schedules are looked for.
        package var interval: Duration
        /// Most schedules started per tick.
        package var batch: Int

        package init(interval: Duration = .seconds(15), batch: Int = 100) {
            self.interval = interval
            self.batch = batch
        }
    }

    let schedules: any BackupScheduleStore
    let backups: any BackupStore
    let launcher: ServerJobLauncher
    let audit: any AuditLogStore
    let options: Options
    /// Told of skipped occurrences (`schedule.skipped`).
    let notifier: any Notifier
    let logger: Logger
    package let duty: PeriodicDuty

    package init(
        schedules: any BackupScheduleStore, backups: any BackupStore, launcher: ServerJobLauncher, audit: any AuditLogStore,
        options: Options = Options(), clock: @escaping @Sendable () -> Date = { Date() }, notifier: any Notifier = SilentNotifier(),
        logger: Logger
    ) {
        self.notifier = notifier
        self.schedules = schedules
        self.backups = backups
        self.launcher = launcher
        self.audit = audit
        self.options = options
        self.logger = logger
        duty = PeriodicDuty("backup scheduler", interval: options.interval, clock: clock, logger: logger)
    }

    package func pass(now: Date) async {
        await tick(now: now)
    }

    /// Starts every schedule due at `now`; returns the occurrences it handled.
    @discardableResult
    package func tick(now: Date) async -> Int {
        let due: [BackupSchedule]
        do {
            due = try await schedules.due(at: now, limit: options.batch)
        } catch {
            duty.failures.failed("could not read due schedules", error: error)
            return 0
        }
        var handled = 0
        var allStarted = true
        for schedule in due {
            do {
                if try await start(schedule, now: now) { handled += 1 }
            } catch {
                allStarted = false
                duty.failures.failed("could not start a scheduled backup", error: error, metadata: ["schedule": "\(schedule.id)"])
            }
        }
        if allStarted { duty.failures.succeeded("the backup scheduler works again") }
        return handled
    }

    /// Creates (or finds) the occurrence's backup, makes sure its job is queued, then advances
    /// the schedule. Safe to repeat: every step is idempotent until the advance, which one caller wins.
    func start(_ schedule: BackupSchedule, now: Date) async throws -> Bool {
        guard let due = schedule.nextRunAt else { return false }
        let timing: ScheduleTiming
        do {
            timing = try ScheduleTiming(cron: schedule.cron, timezone: schedule.timezone)
        } catch {
            // Stored before validation got stricter: stop it rather than fail every tick.
            if try await schedules.advance(id: schedule.id, from: due, to: nil, ran: nil, skipped: 0, lastSkipped: nil) {
                try await schedules.recordOutcome(id: schedule.id, status: "failed", error: "the schedule stopped: \(error.message)")
            }
            return false
        }
        let catchUp = timing.catchUp(from: due, now: now)
        let metadata: JSONValue = [
            "occurrence": .string(catchUp.occurrence.ISO8601Format()), "skippedOccurrences": .int(Int64(catchUp.skipped)),
        ]
        let (backup, _) = try await backups.createScheduled(
            id: ScheduleRunID.make(scheduleId: schedule.id, dueAt: due), schedule: schedule,
            dueAt: due, metadata: metadata)
        if backup.status == .pending { try await launcher.enqueueScheduled(backup) }
        let next = timing.nextRuns(after: max(now, catchUp.occurrence), count: 1).first
        let won = try await schedules.advance(
            id: schedule.id, from: due, to: next, ran: catchUp.occurrence, skipped: catchUp.skipped,
            lastSkipped: catchUp.lastSkipped)
        if won, catchUp.skipped > 0 {
            logger.warning(
                "missed schedule occurrences were skipped; the latest one runs",
                metadata: [
                    "schedule": "\(schedule.id)", "skipped": "\(catchUp.skipped)", "from": "\(due.ISO8601Format())",
                ])
            var details: [String: JSONValue] = [
                "skipped": .int(Int64(catchUp.skipped)), "firstSkipped": .string(due.ISO8601Format()),
                "lastSkipped": .string((catchUp.lastSkipped ?? due).ISO8601Format()),
                "ran": .string(catchUp.occurrence.ISO8601Format()), "backupId": .string(backup.id.lowercasedString),
            ]
            _ = try? await audit.record(
                userId: nil, actor: "scheduler", action: "schedule.skipped", resourceType: "schedule",
                resourceId: schedule.id.lowercasedString, outcome: .success, clientAddress: nil, details: .object(details))
            details["scheduleId"] = .string(schedule.id.lowercasedString)
            details["serverId"] = .string(schedule.serverId.lowercasedString)
            await notifier.notify(
                NotificationEvent(
                    .scheduleSkipped,
                    summary: "Backup schedule \(schedule.id.lowercasedString) (\(schedule.cron)) missed \(catchUp.skipped) run(s) "
                        + "while no scheduler ran; the latest one runs now", data: .object(details)))
        }
        return won
    }
}

import Foundation
import InMemoryStores
import JobQueue
import Records
import Scheduling
import ServerJobs
import Testing

/// The scheduler over in-memory stores: each due occurrence becomes one backup and one job,
/// however many schedulers tick, whatever fails in between.
@Suite struct BackupSchedulerTests {
    let schedules = InMemoryScheduleStore()
    let backups = InMemoryBackupStore()
    let starts = InMemoryRecordStarts()
    let dispatcher = InMemoryDispatcher()
    let audit = InMemoryAuditLog()
    /// 2026-11-30 12:00:00 UTC, on the hour.
    let noon = Date(timeIntervalSince1970: 1_796_040_000)

    func scheduler() -> BackupScheduler {
        BackupScheduler(
            schedules: schedules, backups: backups,
            launcher: ServerJobLauncher(dispatcher: dispatcher, backups: backups, scans: starts, updates: starts), audit: audit,
            logger: quietLogger())
    }

    func hourly(due: Date, cron: String = "0 * * * *") async -> BackupSchedule {
        let schedule = BackupSchedule(
            ScheduleDefinition(serverId: UUID(), cron: cron, paths: ["/etc"], backupType: .incremental, fullEveryDays: 7), nextRunAt: due)
        await schedules.put(schedule)
        return schedule
    }

    @Test func aDueOccurrenceStartsOneBackupAndMovesTheScheduleOn() async throws {
        let schedule = await hourly(due: noon)
        #expect(await scheduler().tick(now: noon.addingTimeInterval(5)) == 1)
        let rows = await backups.rows.values
        let backup = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(backup.kind == .scheduled && backup.scheduleId == schedule.id && backup.dueAt == noon && backup.paths == ["/etc"])
        #expect(backup.requestedType == .incremental && backup.fullEveryDays == 7)
        #expect(backup.id == ScheduleRunID.make(scheduleId: schedule.id, dueAt: noon))
        #expect(await dispatcher.jobs.map(\.jobId) == [backup.id.lowercasedString])
        #expect(await dispatcher.jobs.first?.name == .scheduledBackup)
        #expect(await backups.enqueued == [backup.id])
        let moved = try #require(await schedules.rows[schedule.id])
        #expect(moved.nextRunAt == noon.addingTimeInterval(3600) && moved.lastRunAt == noon && moved.skippedRuns == 0)
        // Nothing is due until the next hour.
        #expect(await scheduler().tick(now: noon.addingTimeInterval(60)) == 0)
        #expect(await backups.rows.count == 1)
    }

    @Test func schedulersTickingTogetherStartEachOccurrenceOnce() async throws {
        for _ in 0..<5 { _ = await hourly(due: noon) }
        let now = noon.addingTimeInterval(1)
        let handled = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 { group.addTask { await scheduler().tick(now: now) } }
            return await group.reduce(0, +)
        }
        #expect(handled == 5)
        #expect(await backups.rows.count == 5)
        #expect(await dispatcher.jobs.count == 5)
    }

    @Test func afterDowntimeOnlyTheLatestMissedOccurrenceRunsAndTheSkipIsAudited() async throws {
        let schedule = await hourly(due: noon)
        let later = noon.addingTimeInterval(5 * 3600 + 120)
        #expect(await scheduler().tick(now: later) == 1)
        let backup = try #require(await backups.rows.values.first)
        #expect(await backups.rows.count == 1)
        #expect(backup.metadata["occurrence"]?.stringValue == noon.addingTimeInterval(5 * 3600).ISO8601Format())
        #expect(backup.metadata["skippedOccurrences"]?.intValue == 5)
        let moved = try #require(await schedules.rows[schedule.id])
        #expect(moved.skippedRuns == 5 && moved.nextRunAt == noon.addingTimeInterval(6 * 3600))
        let entries = await audit.entries
        #expect(entries.map(\.action) == ["schedule.skipped"] && entries.first?.resourceId == schedule.id.lowercasedString)
    }

    @Test func aJobThatCouldNotBeEnqueuedIsEnqueuedOnTheNextTick() async throws {
        let schedule = await hourly(due: noon)
        await dispatcher.failing(RecordError(.unavailable, field: nil, "redis is down"))
        #expect(await scheduler().tick(now: noon) == 0)
        // The row exists, its job does not, and the schedule has not moved on.
        #expect(await backups.rows.count == 1)
        #expect(await backups.enqueued.isEmpty)
        #expect(await schedules.rows[schedule.id]?.nextRunAt == noon)
        await dispatcher.failing(nil)
        #expect(await scheduler().tick(now: noon.addingTimeInterval(30)) == 1)
        #expect(await backups.rows.count == 1)
        #expect(await dispatcher.jobs.count == 1)
        #expect(await backups.enqueued.count == 1)
    }

    @Test func aDatabaseOutageStartsNothingAndLosesNothing() async throws {
        let schedule = await hourly(due: noon)
        await schedules.failing(RecordError(.unavailable, field: nil, "connection refused"))
        #expect(await scheduler().tick(now: noon) == 0)
        await schedules.failing(nil)
        #expect(await scheduler().tick(now: noon) == 1)
        #expect(await schedules.rows[schedule.id]?.lastRunAt == noon)
    }

    @Test func aScheduleWhoseCronNoLongerParsesIsStoppedWithItsReason() async throws {
        let schedule = await hourly(due: noon, cron: "61 * * * *")
        #expect(await scheduler().tick(now: noon) == 0)
        let stopped = try #require(await schedules.rows[schedule.id])
        #expect(stopped.nextRunAt == nil && stopped.lastStatus == "failed")
        #expect(stopped.lastError?.hasPrefix("the schedule stopped") == true)
        #expect(await backups.rows.isEmpty)
        #expect(await dispatcher.jobs.isEmpty)
    }
}

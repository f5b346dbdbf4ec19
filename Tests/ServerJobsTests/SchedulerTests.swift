import BlockingIO
import Foundation
import JobQueue
import Logging
import PostgresClient
import Records
import RedisClient
import Scheduling
@testable import ServerJobs
import TestSupport
import Testing

extension FlowFixture {
    func scheduler() -> BackupScheduler {
        BackupScheduler(schedules: schedules, backups: backups, launcher: launcher, audit: AuditLogRepository(database: database), logger: testLogger())
    }

    /// A schedule whose first run is the first occurrence after `start`.
    func makeSchedule(
        server: Server, cron: String, timezone: String = "UTC", paths: [String] = ["/etc/hostname"],
        retention: RetentionPolicy = RetentionPolicy(), start: Date
    ) async throws -> BackupSchedule {
        let timing = try ScheduleTiming(cron: cron, timezone: timezone)
        return try await schedules.create(
            ScheduleDefinition(serverId: server.id, cron: cron, timezone: timezone, paths: paths, retention: retention),
            nextRunAt: timing.nextRuns(after: start, count: 1).first)
    }

    func scheduledBackups(_ schedule: BackupSchedule) async throws -> [Backup] {
        try await backups.list(Page(limit: 200), scheduleId: schedule.id).items.sorted { ($0.dueAt ?? .distantPast) < ($1.dueAt ?? .distantPast) }
    }
}

func utc(_ text: String) throws -> Date {
    try #require(try? Date(text, strategy: .iso8601))
}

@Suite struct SchedulerTests {
    @Test func threeSchedulersOverTenDueTimesEnqueueExactlyTenJobs() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("sched-three")
            let start = try utc("2026-01-05T10:00:00Z")
            let schedule = try await fixture.makeSchedule(server: server, cron: "* * * * *", start: start.addingTimeInterval(-1))
            // Three schedulers, each with connections of its own, as three processes would have.
            var schedulers: [(BackupScheduler, PostgresPool)] = []
            for _ in 0..<3 {
                let pool = PostgresPool(configuration: fixture.database.configuration, options: .init(maxConnections: 2), logger: testLogger())
                let backups = BackupRepository(database: pool)
                let launcher = ServerJobLauncher(
                    dispatcher: fixture.dispatcher, backups: backups, scans: ScanRepository(database: pool),
                    updates: UpdateRepository(database: pool))
                schedulers.append(
                    (
                        BackupScheduler(
                            schedules: BackupScheduleRepository(database: pool), backups: backups, launcher: launcher,
                            audit: AuditLogRepository(database: pool), logger: testLogger()), pool
                    ))
            }
            for minute in 0..<10 {
                let now = start.addingTimeInterval(Double(minute * 60) + 5)
                await withTaskGroup(of: Void.self) { group in
                    for (scheduler, _) in schedulers { group.addTask { await scheduler.tick(now: now) } }
                }
            }
            for (_, pool) in schedulers { await pool.close() }
            let queue = try #require(fixture.dispatcher.queue(.backup))
            #expect(try await queue.getJobCounts([.waiting])[.waiting] == 10)
            let made = try await fixture.scheduledBackups(schedule)
            #expect(made.count == 10)
            #expect(Set(made.compactMap(\.dueAt)).count == 10)
            #expect(made.allSatisfy { $0.kind == .scheduled && $0.scheduleId == schedule.id })
            for backup in made {
                let job = try #require(try await queue.getJob(backup.id.uuidString.lowercased()))
                #expect(job.name == "backup:scheduled")
            }
            let after = try #require(try await fixture.schedules.find(id: schedule.id))
            #expect(after.nextRunAt == start.addingTimeInterval(600))
            #expect(after.skippedRuns == 0)
        }
    }

    @Test func berlinAtHalfPastTwoRunsOnceEveryDayAcrossBothDaylightSavingChanges() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("sched-dst")
            let scheduler = fixture.scheduler()
            var berlin = Calendar(identifier: .gregorian)
            berlin.timeZone = try #require(TimeZone(identifier: "Europe/Berlin"))
            // Spring forward (29 March 2026: 02:00 → 03:00) and fall back (25 October 2026: 03:00 → 02:00).
            for (from, to, changeDay) in [("2026-03-27T00:00:00Z", "2026-03-31T23:00:00Z", 29), ("2026-10-23T00:00:00Z", "2026-10-27T23:00:00Z", 25)] {
                let start = try utc(from)
                let schedule = try await fixture.makeSchedule(server: server, cron: "30 2 * * *", timezone: "Europe/Berlin", start: start)
                var now = start
                while now <= (try utc(to)) {
                    await scheduler.tick(now: now)
                    now = now.addingTimeInterval(15 * 60)
                }
                let runs = try await fixture.scheduledBackups(schedule).compactMap(\.dueAt)
                let days = runs.map { berlin.component(.day, from: $0) }
                #expect(days == Array(Set(days)).sorted(), "one run per local day: \(runs)")
                #expect(runs.count == 5, "\(runs)")
                for run in runs {
                    let local = berlin.dateComponents([.day, .hour, .minute], from: run)
                    if local.day == changeDay && changeDay == 29 {
                        // 02:30 does not exist that night: the run is shifted by the gap, to 03:30 CEST
                        // (01:30 UTC, the instant 02:30 CET would have been).
                        #expect(local.hour == 3 && local.minute == 30)
                        #expect(run == (try utc("2026-03-29T01:30:00Z")))
                    } else {
                        #expect(local.hour == 2 && local.minute == 30)
                    }
                }
                if changeDay == 25 {
                    // 02:30 happens twice that night; it ran once, at the first (CEST, 00:30 UTC).
                    #expect(runs.contains(try utc("2026-10-25T00:30:00Z")))
                }
            }
        }
    }

    @Test func afterATwoDayOutageADailyScheduleRunsOnceAndRecordsWhatItSkipped() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("sched-outage")
            let scheduler = fixture.scheduler()
            let schedule = try await fixture.makeSchedule(server: server, cron: "@daily", start: try utc("2026-02-01T12:00:00Z"))
            #expect(schedule.nextRunAt == (try utc("2026-02-02T00:00:00Z")))
            // Nothing ran from 1 February noon until 4 February 10:00: three occurrences were due.
            await scheduler.tick(now: try utc("2026-02-04T10:00:00Z"))
            await scheduler.tick(now: try utc("2026-02-04T10:00:30Z"))
            let made = try await fixture.scheduledBackups(schedule)
            #expect(made.count == 1)
            #expect(made.first?.metadata["skippedOccurrences"] == 2)
            #expect(made.first?.metadata["occurrence"] == "2026-02-04T00:00:00Z")
            let after = try #require(try await fixture.schedules.find(id: schedule.id))
            #expect(after.skippedRuns == 2)
            #expect(after.lastSkippedAt == (try utc("2026-02-03T00:00:00Z")))
            #expect(after.lastRunAt == (try utc("2026-02-04T00:00:00Z")))
            #expect(after.nextRunAt == (try utc("2026-02-05T00:00:00Z")))
            let audit = try await AuditLogRepository(database: fixture.database).list(Page(limit: 50))
            #expect(audit.items.contains { $0.action == "schedule.skipped" && $0.details["skipped"] == 2 })
        }
    }

    @Test func timingValidationNamesTheField() throws {
        #expect(throws: ScheduleFieldError.self) { try ScheduleTiming(cron: "* * * *", timezone: "UTC") }
        #expect(throws: ScheduleFieldError.self) { try ScheduleTiming(cron: "0 0 * * * *", timezone: "UTC") }
        #expect(throws: ScheduleFieldError.self) { try ScheduleTiming(cron: "0 0 30 2 *", timezone: "UTC") }
        do { _ = try ScheduleTiming(cron: "0 3 * * *", timezone: "Mars/Olympus") } catch { #expect(error.field == "timezone") }
        do { _ = try ScheduleTiming(cron: "61 3 * * *", timezone: "UTC") } catch { #expect(error.field == "cron") }
        let weekly = try ScheduleTiming(cron: "@weekly", timezone: "UTC")
        #expect(weekly.nextRuns(after: try utc("2026-11-23T12:00:00Z")).count == 3)
        #expect(
            ScheduleRunID.make(scheduleId: UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)), dueAt: try utc("2026-01-01T00:00:00Z"))
                == ScheduleRunID.make(scheduleId: UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)), dueAt: try utc("2026-01-01T00:00:00Z")))
    }
}

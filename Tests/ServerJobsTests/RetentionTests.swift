import Foundation
import JobQueue
import Records
import Scheduling
@testable import ServerJobs
import TestSupport
import Testing

@Suite(.removesSourceTrees) struct RetentionTests {
    @Test func keepLastThreeLeavesThreeBackupsRowsAndFilesAfterFiveRuns() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("retention")
            let source = try await sourceTree()
            let schedule = try await fixture.makeSchedule(
                server: server, cron: "* * * * *", paths: [source],
                retention: RetentionPolicy(keepLast: 3), start: Date().addingTimeInterval(-600))
            let scheduler = fixture.scheduler()
            var files: [String] = []
            let storage = BackupStorage(root: fixture.storage)
            try await fixture.withWorkers { () async throws in
                for run in 0..<5 {
                    let now = try #require(schedule.nextRunAt).addingTimeInterval(Double(run * 60) + 1)
                    let started = await scheduler.tick(now: now)
                    #expect(started == 1)
                    #expect(
                        try await waitFor {
                            let items = try await fixture.backups.list(scheduleId: schedule.id).items
                            return items.count == min(run + 1, 3) && items.allSatisfy { $0.status == .completed }
                        })
                    if let newest = try await fixture.scheduledBackups(schedule).last { files.append(try storage.archivePath(of: newest)) }
                }
            }
            let left = try await fixture.scheduledBackups(schedule)
            #expect(left.count == 3)
            #expect(left.allSatisfy { $0.status == .completed })
            #expect(Set(try left.map { try storage.archivePath(of: $0) }) == Set(files.suffix(3)))
            for path in files.prefix(2) { #expect(!FileManager.default.fileExists(atPath: path), "\(path) should be gone") }
            for path in files.suffix(3) { #expect(FileManager.default.fileExists(atPath: path)) }
            #expect(try await fixture.schedules.find(id: schedule.id)?.lastStatus == "completed")
        }
    }

    @Test func dailyWeeklyAndMonthlyKeepTheNewestOfEachPeriod() throws {
        let server = UUID()
        func backup(_ iso: String) throws -> Backup {
            let date = try utc(iso)
            return Backup(id: UUID(), serverId: server, kind: .scheduled, status: .completed, paths: ["/etc"], completedAt: date, createdAt: date)
        }
        // Two a day over ten days, from 1 to 10 March 2026 (a Sunday to a Tuesday).
        var backups: [Backup] = []
        for day in 1...10 {
            backups.append(try backup(String(format: "2026-03-%02dT06:00:00Z", day)))
            backups.append(try backup(String(format: "2026-03-%02dT18:00:00Z", day)))
        }
        let byDate = { (iso: String) throws -> UUID in try #require(backups.first { $0.completedAt == (try utc(iso)) }).id }
        let utcZone = try #require(TimeZone(identifier: "UTC"))

        #expect(RetentionPlan.kept(backups, policy: RetentionPolicy(), timeZone: utcZone).count == 20)
        #expect(
            RetentionPlan.kept(backups, policy: RetentionPolicy(keepLast: 3), timeZone: utcZone)
                == [try byDate("2026-03-10T18:00:00Z"), try byDate("2026-03-10T06:00:00Z"), try byDate("2026-03-09T18:00:00Z")])
        #expect(
            RetentionPlan.kept(backups, policy: RetentionPolicy(daily: 2), timeZone: utcZone)
                == [try byDate("2026-03-10T18:00:00Z"), try byDate("2026-03-09T18:00:00Z")])
        // ISO weeks: 9–10 March (week 11), 2–8 March (week 10), 1 March (week 9).
        #expect(
            RetentionPlan.kept(backups, policy: RetentionPolicy(weekly: 3), timeZone: utcZone)
                == [try byDate("2026-03-10T18:00:00Z"), try byDate("2026-03-08T18:00:00Z"), try byDate("2026-03-01T18:00:00Z")])
        #expect(RetentionPlan.kept(backups, policy: RetentionPolicy(monthly: 6), timeZone: utcZone) == [try byDate("2026-03-10T18:00:00Z")])
        let union = RetentionPlan.kept(backups, policy: RetentionPolicy(keepLast: 1, daily: 2, weekly: 2), timeZone: utcZone)
        #expect(union.count == 3)
        // In Tokyo (UTC+9) the 18:00 UTC backups belong to the next day.
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        #expect(RetentionPlan.kept(backups, policy: RetentionPolicy(daily: 1), timeZone: tokyo) == [try byDate("2026-03-10T18:00:00Z")])
        #expect(
            RetentionPlan.kept(backups, policy: RetentionPolicy(daily: 2), timeZone: tokyo)
                == [try byDate("2026-03-10T18:00:00Z"), try byDate("2026-03-10T06:00:00Z")])
    }

    @Test func backupsThatFailedVerificationPushNoGoodOneOut() throws {
        let server = UUID()
        let start = Date(timeIntervalSince1970: 1_772_000_000)
        // Three good daily backups, then seven a compromised server filled with garbage.
        let backups = (0..<10).map { day in
            let date = start.addingTimeInterval(Double(day) * 86_400)
            return Backup(
                id: UUID(), serverId: server, kind: .scheduled, status: .completed, verification: day < 3 ? .verified : .failed, paths: ["/etc"],
                completedAt: date, createdAt: date)
        }
        let utcZone = try #require(TimeZone(identifier: "UTC"))
        let kept = RetentionPlan.kept(backups, policy: RetentionPolicy(keepLast: 2), timeZone: utcZone)
        // The two newest good ones, and the failed ones since the oldest of them (for the record).
        #expect(kept == Set(backups[1...].map(\.id)))
        let daily = RetentionPlan.kept(backups, policy: RetentionPolicy(daily: 1), timeZone: utcZone)
        #expect(daily == Set(backups[2...].map(\.id)))
        // With no good backup at all, the failed ones take places as any would.
        let allFailed = Array(backups[3...])
        #expect(RetentionPlan.kept(allFailed, policy: RetentionPolicy(keepLast: 2), timeZone: utcZone) == Set(allFailed.suffix(2).map(\.id)))
    }

    @Test func aBackupThatCannotFitFailsAtOnceWithAClearMessage() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("free-space")
            // The last backup of these paths was a petabyte: no test machine has that free.
            let earlier = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc/hostname"])
            _ = try await fixture.backups.markCompleted(id: earlier.id, filePath: fixture.storage + "/x.tar.gz", size: 1 << 50, sha256: String(repeating: "0", count: 64))
            let (record, _) = try await fixture.launcher.startBackup(serverId: server.id, paths: ["/etc/hostname"], exclusions: [], compression: .gzip)
            try await fixture.withWorkers { () async throws in
                #expect(try await waitFor { try await fixture.backups.find(id: record.id)?.status == .failed })
            }
            let failed = try #require(try await fixture.backups.find(id: record.id))
            #expect(failed.error?.contains("free") == true && failed.error?.contains("BACKUP_DIR") == true, "\(failed.error ?? "")")
            #expect(try await fixture.attempts.attempts(queue: "backup-queue", jobId: record.id.uuidString.lowercased()).isEmpty, "no SSH attempt was made")
        }
    }
}

import ArchiveFormat
import Crypto
import Foundation
import JobQueue
import JSONSupport
import PostgresClient
import Records
@testable import Scheduling
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// Restore drills through the workers, against the sshd test host: a chain restores into a
/// private scratch directory, is compared with its file list, and the scratch is removed.
@Suite(.serialized, .removesSourceTrees) struct RestoreDrillTests {
    static func remote(_ command: String) async throws -> SSHCommandOutput { try await BackupChainTests.remote(command) }

    /// Queues a drill of `backup` and runs the workers until it finished; the drill's row.
    static func drill(_ fixture: FlowFixture, _ backup: Backup) async throws -> RestoreDrill {
        let drill = try await fixture.backups.drills.create(serverId: backup.serverId, backupId: backup.id)
        _ = try await fixture.dispatcher.enqueue(.drill, recordId: drill.id, serverId: backup.serverId)
        try await fixture.withWorkers { () async throws in
            let done = try await waitFor(timeout: .seconds(60)) { try await fixture.backups.drills.find(id: drill.id)?.status.isFinished == true }
            #expect(done)
        }
        return try #require(try await fixture.backups.drills.find(id: drill.id))
    }

    /// Drill scratch directories left on the test host.
    static func leftovers(_ id: UUID) async throws -> String {
        let label = RestoreTarget.drillLabelPrefix + id.uuidString.lowercased()
        return try await remote("ls -d \"$HOME\"/.medicineman-restore/\(label).* 2>/dev/null; true").stdout
    }

    @Test func aChainOfFullAndIncrementalsPassesItsDrillAndLeavesNoScratch() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("drill-chain")
            let source = try await sourceTree()
            let quoted = ShellArgument.quote(source)
            _ = try await Self.remote(
                """
                cd \(quoted) && mkdir -p etc/app locked empty && printf 'secret' > etc/app/key && chmod 600 etc/app/key \
                && printf 'run' > etc/app/run.sh && chmod 755 etc/app/run.sh && ln -s etc/app/key link && echo gone > locked/old \
                && chmod 555 locked
                """)
            let full = try await BackupChainTests.backUp(fixture, server, source, type: .incremental, encrypt: true)
            _ = try await Self.remote("cd \(quoted) && sleep 1 && echo changed > etc/app/run.sh && echo new > etc/app/new && chmod u+w locked && rm locked/old")
            let next = try await BackupChainTests.backUp(fixture, server, source, type: .incremental)
            #expect(next.backupType == .incremental && next.baseBackupId == full.id)

            let drill = try await Self.drill(fixture, next)
            #expect(drill.status == .passed, "\(drill.problems) \(drill.error ?? "")")
            let counts = try #require(drill.counts)
            #expect(counts.expected > 5 && counts.matched == counts.expected && counts.hashed >= 4, "\(counts)")
            #expect(counts.missing == 0 && counts.changed == 0 && counts.extra == 0)
            #expect(drill.startedAt != nil && drill.finishedAt != nil && drill.jobId == drill.id.uuidString.lowercased())
            #expect(try await Self.leftovers(drill.id).isEmpty, "the drill's scratch directory is removed")
            _ = try await Self.remote("chmod -R u+w \(quoted); rm -rf \(quoted)")
        }
    }

    @Test func aDrillFailsWhenAFileIsCorruptedOnPurposeAndWhenTheArchiveNoLongerMatches() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("drill-corrupt")
            let source = try await sourceTree()
            let marker = "medicineman-drill-victim-" + String(repeating: "v", count: 40)
            _ = try await Self.remote("printf '%s' \(ShellArgument.quote(marker)) > \(ShellArgument.quote(source + "/victim.txt"))")
            let (record, _) = try await fixture.launcher.startBackup(serverId: server.id, paths: [source], exclusions: [], compression: .none)
            try await fixture.withWorkers { () async throws in
                #expect(try await waitFor(timeout: .seconds(60)) { try await fixture.backups.find(id: record.id)?.verification == .verified })
            }
            let backup = try #require(try await fixture.backups.find(id: record.id))
            let archive = try BackupStorage(root: fixture.storage).archivePath(of: backup)

            // A byte of the file's content flipped after the file list was made, and the row's
            // SHA-256 brought along (as if the archive had been damaged before it was hashed):
            // the restore runs, and the drill finds the content differs from the list.
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
            let offset = try #require(Self.find(Array(marker.utf8), in: bytes))
            bytes[offset + marker.utf8.count - 1] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: archive))
            let rehashed = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            _ = try await fixture.database.query("UPDATE backups SET sha256 = $2 WHERE id = $1", [backup.id, rehashed])
            let corrupted = try await Self.drill(fixture, backup)
            #expect(corrupted.status == .failed)
            let counts = try #require(corrupted.counts)
            #expect(counts.changed == 1 && counts.missing == 0 && counts.extra == 0 && counts.matched == counts.expected - 1, "\(counts)")
            #expect(corrupted.problems.count == 1 && corrupted.problems.first?.path.hasSuffix("/victim.txt") == true)
            #expect(corrupted.problems.first?.problem.contains("content differs") == true)
            #expect(try await Self.leftovers(corrupted.id).isEmpty)

            // Damaged after it was hashed: the restore refuses it, and the drill fails with why.
            bytes[offset] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: archive))
            let refused = try await Self.drill(fixture, backup)
            #expect(refused.status == .failed && refused.counts == nil)
            #expect(refused.error?.contains("SHA-256") == true, "\(refused.error ?? "")")
            #expect(try await Self.leftovers(refused.id).isEmpty)
            _ = try await Self.remote("rm -rf \(ShellArgument.quote(source))")
        }
    }

    @Test func schedulesAskForADrillEveryNBackupsOrDaysOnce() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("drill-plan")
            let schedule = try await fixture.schedules.create(
                ScheduleDefinition(
                    serverId: server.id, cron: "@daily", paths: ["/srv"],
                    drill: RestoreDrillPolicy(everyBackups: 2)), nextRunAt: nil)
            let planner = RestoreDrillPlanner(drills: fixture.backups.drills, dispatcher: fixture.dispatcher, logger: testLogger())
            var now = Date()
            func completedBackup() async throws -> Backup {
                now += 60
                let (backup, _) = try await fixture.backups.createScheduled(id: UUID(), schedule: schedule, dueAt: now, metadata: [:])
                _ = try await fixture.backups.markCompleted(
                    id: backup.id, filePath: "\(server.id.uuidString.lowercased())/x/\(backup.id).tar.gz",
                    size: 1, sha256: String(repeating: "0", count: 64))
                return backup
            }
            _ = try await completedBackup()
            #expect(await planner.plan(now: now).isEmpty, "one backup of two")
            let second = try await completedBackup()
            let first = await planner.plan(now: now)
            #expect(first.count == 1 && first.first?.backupId == second.id && first.first?.scheduleId == schedule.id)
            #expect(await planner.plan(now: now).isEmpty, "a backup is drilled once")
            let drillId = try #require(first.first?.id)
            let job = try await fixture.dispatcher.queue(.backup)?.getJob(drillId.uuidString.lowercased())
            #expect(job?.name == ServerJobName.drill.rawValue)

            // A running drill whose job vanished is failed by a later pass, saying why.
            try await fixture.backups.drills.markRunning(id: drillId, jobId: drillId.uuidString.lowercased())
            #expect(try await fixture.dispatcher.queue(.backup)?.remove(drillId.uuidString.lowercased()) == true)
            _ = await planner.plan(now: Date() + 120)
            let vanished = try await fixture.backups.drills.find(id: drillId)
            #expect(vanished?.status == .failed && vanished?.error?.contains("no longer exists") == true)

            // Every N days: due when the last drill is that old.
            let changed = ScheduleDefinition(serverId: server.id, cron: "@daily", paths: ["/srv"], drill: RestoreDrillPolicy(everyDays: 1))
            _ = try await fixture.schedules.replace(id: schedule.id, with: changed, nextRunAt: nil)
            let third = try await completedBackup()
            #expect(await planner.plan(now: Date()).isEmpty, "the last drill is not a day old")
            let later = await planner.plan(now: Date() + 86_400 + 60)
            #expect(later.count == 1 && later.first?.backupId == third.id)
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}

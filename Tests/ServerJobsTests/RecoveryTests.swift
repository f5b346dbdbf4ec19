import Foundation
import JobQueue
import Records
import Scheduling
@testable import ServerJobs
import TestSupport
import Testing

@Suite(.removesSourceTrees) struct RecoveryTests {
    func reconciler(_ fixture: FlowFixture) -> RecordReconciler {
        RecordReconciler(ledger: RecordLedger(database: fixture.database), launcher: fixture.launcher, queues: fixture.dispatcher.allQueues, logger: testLogger())
    }

    @Test func aRecordWhoseJobNeverReachedRedisIsEnqueuedAndCompletesOnce() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("reconcile")
            let source = try await sourceTree()
            // The process died after committing the row, before enqueueing its job.
            let record = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: [source])
            let reconciler = reconciler(fixture)
            let tooEarly = await reconciler.reconcile(now: Date())
            #expect(tooEarly == .init(enqueued: 0, failed: 0), "its creator may still enqueue it")
            let report = await reconciler.reconcile(now: Date().addingTimeInterval(45))
            #expect(report.enqueued == 1)
            try await fixture.withWorkers { () async throws in
                #expect(try await waitFor { try await fixture.backups.find(id: record.id)?.status == .completed })
                let again = await reconciler.reconcile(now: Date().addingTimeInterval(120))
                #expect(again == .init(enqueued: 0, failed: 0))
            }
            let done = try #require(try await fixture.backups.find(id: record.id))
            #expect(done.attempts == 1)
            #expect(try await fixture.attempts.attempts(queue: "backup-queue", jobId: record.id.uuidString.lowercased()).count == 1)
        }
    }

    @Test func aJobWhoseRecordIsMissingFailsWithAClearReason() async throws {
        try await FlowFixture.run { fixture in
            let missing = UUID()
            let jobId = try await fixture.dispatcher.enqueue(.manualBackup, recordId: missing)
            let queue = try #require(fixture.dispatcher.queue(.backup))
            try await fixture.withWorkers { () async throws in
                #expect(try await waitFor { try await queue.getJobState(jobId) == .failed })
            }
            let job = try #require(try await queue.getJob(jobId))
            #expect(job.failedReason?.contains("has no record") == true, "\(job.failedReason ?? "")")
            #expect(job.attemptsMade == 1, "not retried")
        }
    }

    @Test func aRecordWhoseJobWasRemovedIsMarkedFailed() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("reconcile-gone")
            let (scan, jobId) = try await fixture.launcher.startScan(serverId: server.id, type: .quick)
            let queue = try #require(fixture.dispatcher.queue(.scan))
            #expect(try await queue.remove(jobId))
            let report = await reconciler(fixture).reconcile(now: Date())
            #expect(report.failed == 1)
            let failed = try #require(try await fixture.scans.find(id: scan.id))
            #expect(failed.status == .failed && failed.error?.contains("no longer exists") == true)
        }
    }

    @Test func theJanitorRemovesPartialsOfStoppedBackupsAndOrphanedArchives() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("janitor")
            let storage = BackupStorage(root: fixture.storage)
            let stopped = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc/hostname"])
            let running = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc/hostname"])
            try await fixture.backups.markRunning(id: running.id, jobId: nil)
            // A completed backup's archive: the rows and the directory belong together.
            let kept = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc/hostname"])
            let keptRelative = server.id.uuidString.lowercased() + "/2026/11/" + kept.id.uuidString.lowercased() + ".tar.gz"
            _ = try await fixture.backups.markCompleted(id: kept.id, filePath: keptRelative, size: 1, sha256: String(repeating: "0", count: 64))
            let directory = fixture.storage + "/" + server.id.uuidString.lowercased() + "/2026/11"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let stoppedPartial = directory + "/." + stopped.id.uuidString.lowercased() + ".tar.gz.partial"
            let runningPartial = directory + "/." + running.id.uuidString.lowercased() + ".tar.gz.partial"
            let orphan = directory + "/" + UUID().uuidString.lowercased() + ".tar.gz"
            // A day old, without a row: the newest backups after PostgreSQL came back from an older dump. Kept for a week.
            let dayOld = directory + "/" + UUID().uuidString.lowercased() + ".tar.gz"
            let fresh = directory + "/" + UUID().uuidString.lowercased() + ".tar.zst"
            let unrelated = directory + "/notes.txt"
            // Manifests go with their archive's rules: the orphan's (left when removing it failed), not the kept one's.
            let orphanManifest = orphan + ".manifest.gz"
            let keptManifest = fixture.storage + "/" + keptRelative + ".manifest.gz"
            // A partial being written now by a backup that started after the janitor read what runs: young, so kept.
            let startingPartial = directory + "/." + UUID().uuidString.lowercased() + ".tar.gz.partial"
            for path in [stoppedPartial, runningPartial, startingPartial, orphan, dayOld, fresh, unrelated, fixture.storage + "/" + keptRelative, orphanManifest, keptManifest] {
                _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
            }
            for old in [stoppedPartial, runningPartial, orphan, fixture.storage + "/" + keptRelative, orphanManifest, keptManifest] {
                try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-8 * 86_400)], ofItemAtPath: old)
            }
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-86_400)], ofItemAtPath: dayOld)
            let report = try await StorageJanitor(storage: storage, backups: fixture.backups, logger: testLogger()).sweep()
            #expect(report == .init(partials: 1, orphans: 2))
            for gone in [stoppedPartial, orphan, orphanManifest] { #expect(!FileManager.default.fileExists(atPath: gone)) }
            for kept in [runningPartial, startingPartial, dayOld, fresh, unrelated, fixture.storage + "/" + keptRelative, keptManifest] { #expect(FileManager.default.fileExists(atPath: kept)) }
        }
    }
}

import Foundation
import JobQueue
import Logging
import PostgresClient
import Records
import RedisClient
import Scheduling
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// A backup whose job is cancelled — its lock taken over, or its worker stopping past the grace
/// period — ends at once: SSH closed, partial archive removed, lease released, attempt recorded
/// as cancelled, nothing written as its outcome.
@Suite(.serialized, .removesSourceTrees) struct CancellationTests {
    /// A backup worker with a short lock, for the fixture's queues.
    static func backupWorker(_ fixture: FlowFixture, grace: Duration = .seconds(30)) throws -> Worker {
        let dependencies = fixture.processorDependencies()
        let processor = ServerJobProcessor(dependencies: dependencies, logger: testLogger(), workerName: "cancel-test")
        let queue = try #require(fixture.dispatcher.queue(.backup))
        return Worker(
            queue: queue,
            options: WorkerOptions(
                lockDuration: .seconds(3), lockRenewTime: .milliseconds(300),
                drainDelay: .milliseconds(200), shutdownGracePeriod: grace),
            logger: testLogger(), processor: { try await processor.process($0) })
    }

    /// A slow backup (random data through gzip) that is streaming when this returns.
    static func startStreamingBackup(_ fixture: FlowFixture) async throws -> (Backup, Server, String) {
        let server = try await fixture.makeServer("cancel-\(UUID().uuidString.prefix(6))")
        let source = try await sourceTree(160)
        let backup = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: [source], compression: .gzip)
        _ = try await fixture.dispatcher.enqueue(.manualBackup, recordId: backup.id)
        return (backup, server, source)
    }

    static func partialFiles(in root: String) -> [String] {
        let walker = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".partial") { found.append(path) }
        }
        return found
    }

    static func tarRuns(for source: String) async throws -> Bool {
        let probe = try await connectTestHost()
        let output = try await probe.run("ps -eo args= | grep -F -- '\(source)' | grep -v -e grep -e 'ps -eo' | wc -l")
        await probe.close()
        return (Int(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0
    }

    @Test(.exclusive) func aLostLockCancelsTheBackupWithinMoments() async throws {
        try await FlowFixture.run { fixture in
            let (backup, server, source) = try await Self.startStreamingBackup(fixture)
            let worker = try Self.backupWorker(fixture)
            let running = Task { try await worker.runUntilClosed() }
            let queue = try #require(fixture.dispatcher.queue(.backup))
            let jobId = backup.id.uuidString.lowercased()
            #expect(try await waitFor { !Self.partialFiles(in: fixture.storage).isEmpty }, "the backup never started streaming")
            #expect(try await waitFor(timeout: .seconds(10)) { try await Self.tarRuns(for: source) }, "tar never started")
            // Another worker takes the job over (as after a stall): this attempt must stop.
            try await fixture.redis.command(["SET", RedisArgument(queue.keys.job(jobId) + ":lock"), "someone-else", "PX", "60000"])
            let stolen = ContinuousClock.now
            #expect(try await waitFor(timeout: .seconds(10)) { Self.partialFiles(in: fixture.storage).isEmpty })
            // The attempt goes on record as cancelled and the lease goes back just after the
            // runner removed its partial file.
            let lease = ServerLease(redis: fixture.redis, prefix: fixture.prefix, duration: .seconds(30))
            let recorded = try await waitFor(timeout: .seconds(10)) {
                let attempts = try await fixture.attempts.attempts(queue: "backup-queue", jobId: jobId)
                let leased = try await fixture.redis.command(["EXISTS", lease.key(server.id)]).int
                return attempts.map(\.state) == [.cancelled] && leased == 0
            }
            #expect(recorded, "the attempt was not recorded cancelled, or the server's lease was kept")
            #expect(ContinuousClock.now - stolen < .seconds(4), "lock renewal every 300 ms plus the SSH close took \(ContinuousClock.now - stolen)")
            #expect(try await waitFor(timeout: .seconds(5)) { try await !Self.tarRuns(for: source) }, "tar outlived the cancelled attempt")
            let row = try #require(try await fixture.backups.find(id: backup.id))
            #expect(row.status != .completed && row.filePath == nil)
            worker.close()
            _ = try? await running.value
        }
    }

    @Test(.exclusive) func stoppingPastTheGraceHandsTheJobBackAtOnce() async throws {
        try await FlowFixture.run { fixture in
            let (backup, _, source) = try await Self.startStreamingBackup(fixture)
            let worker = try Self.backupWorker(fixture, grace: .milliseconds(500))
            let running = Task { try await worker.runUntilClosed() }
            let queue = try #require(fixture.dispatcher.queue(.backup))
            let jobId = backup.id.uuidString.lowercased()
            #expect(try await waitFor { !Self.partialFiles(in: fixture.storage).isEmpty }, "the backup never started streaming")
            worker.close()
            _ = try? await running.value
            // Back in the queue without waiting for a stalled check, no attempt used, no lock left.
            let state = try await queue.getJobState(jobId)
            #expect(state == .delayed || state == .waiting, "state after shutdown: \(state)")
            #expect(try await queue.getJob(jobId)?.attemptsMade == 0)
            #expect(try await fixture.redis.command(["EXISTS", RedisArgument(queue.keys.job(jobId) + ":lock")]).int == 0)
            #expect(Self.partialFiles(in: fixture.storage).isEmpty)
            let states = try await fixture.attempts.attempts(queue: "backup-queue", jobId: jobId).map(\.state)
            let row = try await fixture.backups.find(id: backup.id)
            #expect(states == [.cancelled], "attempts: \(states), backup: \(String(describing: row))")
            #expect(try await waitFor(timeout: .seconds(5)) { try await !Self.tarRuns(for: source) })
            // The next worker completes it.
            let next = try Self.backupWorker(fixture)
            let resumed = Task { try await next.runUntilClosed() }
            #expect(try await waitFor(timeout: .seconds(60)) { try await fixture.backups.find(id: backup.id)?.status == .completed })
            next.close()
            _ = try? await resumed.value
        }
    }

    @Test(.exclusive) func aTimeoutCancelsTheBackupAndTheRecordFailsWithTheReason() async throws {
        try await FlowFixture.run(jobOptions: JobOptions(attempts: 1, timeout: 1500)) { fixture in
            let (backup, server, source) = try await Self.startStreamingBackup(fixture)
            let worker = try Self.backupWorker(fixture)
            let running = Task { try await worker.runUntilClosed() }
            let queue = try #require(fixture.dispatcher.queue(.backup))
            let jobId = backup.id.uuidString.lowercased()
            #expect(try await waitFor(timeout: .seconds(30)) { try await queue.getJobState(jobId) == .failed })
            let job = try #require(try await queue.getJob(jobId))
            #expect(job.failedReason?.contains("time limit") == true, "\(job.failedReason ?? "")")
            #expect(try await fixture.attempts.attempts(queue: "backup-queue", jobId: jobId).map(\.state) == [.cancelled])
            #expect(Self.partialFiles(in: fixture.storage).isEmpty)
            let lease = ServerLease(redis: fixture.redis, prefix: fixture.prefix, duration: .seconds(30))
            #expect(try await fixture.redis.command(["EXISTS", lease.key(server.id)]).int == 0)
            #expect(try await waitFor(timeout: .seconds(5)) { try await !Self.tarRuns(for: source) })
            // The record follows its job: the reconciler's next pass fails it with the job's reason
            // (it looks at records the launcher marked enqueued; this test enqueued by hand).
            try await fixture.database.query("UPDATE backups SET enqueued_at = now() WHERE id = $1", [backup.id])
            let reconciler = RecordReconciler(
                ledger: RecordLedger(database: fixture.database), launcher: fixture.launcher, queues: fixture.dispatcher.allQueues,
                logger: testLogger())
            _ = await reconciler.reconcile(now: Date())
            let row = try #require(try await fixture.backups.find(id: backup.id))
            #expect(row.status == .failed && row.error?.contains("time limit") == true, "\(row.status) \(row.error ?? "")")
            worker.close()
            _ = try? await running.value
        }
    }
}

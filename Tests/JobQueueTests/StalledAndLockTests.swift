import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

@Suite struct StalledAndLockTests {
    /// Takes a job the way a worker does, then "crashes": the lock is never renewed.
    private func fetchAndAbandon(_ fixture: QueueFixture, lock: Int) async throws -> String {
        let reply = try await fixture.redis.evalScript(
            QueueScript.moveToActive, keys: fixture.queue.keys.scriptKeys,
            arguments: [
                RedisArgument(fixture.queue.keys.base), "crashed:1", RedisArgument(lock), RedisArgument(JobClock.system.nowMilliseconds()), 0, 0,
            ])
        return try #require(reply.array?[1].string)
    }

    @Test func lockHoldsTheTokenAndFencesFinishing() async throws {
        let fixture = try QueueFixture()
        try await fixture.queue.add("locked")
        let id = try await fetchAndAbandon(fixture, lock: 30_000)
        #expect(try await fixture.redis.command(["GET", RedisArgument(fixture.queue.keys.job(id) + ":lock")]).string == "crashed:1")
        let ttl = try await fixture.redis.command(["PTTL", RedisArgument(fixture.queue.keys.job(id) + ":lock")]).int ?? 0
        #expect(ttl > 0 && ttl <= 30_000)
        func finish(token: String) async throws -> Int? {
            try await fixture.redis.evalScript(
                QueueScript.moveToFinished, keys: fixture.queue.keys.scriptKeys,
                arguments: [
                    RedisArgument(fixture.queue.keys.base), RedisArgument(id), RedisArgument(token), "completed", "null", "", 1,
                    -1, -1, 1000, "0", RedisArgument(JobClock.system.nowMilliseconds()), 5000, 0, 0, "0",
                ]
            ).int
        }
        #expect(try await finish(token: "someone-else") == -6)
        let lost = try await fixture.redis.evalScript(
            QueueScript.extendLocks, keys: fixture.queue.keys.scriptKeys,
            arguments: [
                RedisArgument(fixture.queue.keys.base), 5000, RedisArgument(id), "wrong-token",
            ]
        ).array?.compactMap(\.string)
        #expect(lost == ["wrong-token"], "the token of the lost lock (a job can run twice in one worker)")
        try await fixture.redis.command(["DEL", RedisArgument(fixture.queue.keys.job(id) + ":lock")])
        #expect(try await finish(token: "crashed:1") == -2)
        try await fixture.close()
    }

    @Test(.exclusive) func longJobKeepsItsLockAndIsNotStalled() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("long")
        let runs = Recorder<Int>()
        // A job longer than its lock: a 6.5 s job under a 5 s lock renewed every second (slack for
        // a loaded machine: the suite runs backups and fuzzing alongside), checked for stalls every half second.
        let options = WorkerOptions(lockDuration: .seconds(5), lockRenewTime: .seconds(1), stalledInterval: .milliseconds(500))
        try await fixture.withWorker(
            options,
            processor: { context in
                runs.append(context.job.attemptsStarted)
                try await Task.sleep(for: .milliseconds(6500))
                return nil
            }
        ) { _ async throws in
            #expect(try await eventually(timeout: .seconds(30)) { try await fixture.queue.getJobState(added.id) == .completed })
        }
        #expect(runs.values == [1])
        #expect(try await !fixture.events().contains { $0.name == "stalled" })
        try await fixture.close()
    }

    @Test func abandonedJobIsRecoveredByTheStalledCheck() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("orphan")
        _ = try await fetchAndAbandon(fixture, lock: 300)
        try await fixture.withWorker(WorkerOptions(stalledInterval: .milliseconds(100)), processor: { _ in "recovered" }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .completed })
        }
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(job.stalledCounter == 1 && job.returnValue == "recovered")
        let names = try await fixture.events().map(\.name)
        let waitingAgain = try #require(names.lastIndex(of: "stalled"))
        #expect(names[waitingAgain - 1] == "waiting")
        try await fixture.close()
    }

    @Test func jobStalledTooOftenFailsWithoutRunning() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("cursed")
        try await fixture.redis.command(["HSET", RedisArgument(fixture.queue.keys.job(added.id)), "stc", "1"])
        _ = try await fetchAndAbandon(fixture, lock: 200)
        let ran = try await fixture.runWorker(WorkerOptions(stalledInterval: .milliseconds(100)), recording: { _ in true }) { _ in try await fixture.queue.getJobState(added.id) == .failed }
        #expect(ran.values.isEmpty)
        #expect(try await fixture.queue.getJob(added.id)?.failedReason == "job stalled more than allowable limit")
        try await fixture.close()
    }

    /// As BullMQ's moveStalledJobsToWait: only an iteration of a scheduler that still exists is spared.
    @Test func anIterationOfARemovedSchedulerStalledTooOftenFails() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("orphaned-iteration")
        try await fixture.redis.command(["HSET", RedisArgument(fixture.queue.keys.job(added.id)), "stc", "1", "rjk", "gone-scheduler"])
        _ = try await fetchAndAbandon(fixture, lock: 200)
        let ran = try await fixture.runWorker(WorkerOptions(stalledInterval: .milliseconds(100)), recording: { _ in true }) { _ in try await fixture.queue.getJobState(added.id) == .failed }
        #expect(ran.values.isEmpty)
        #expect(try await fixture.queue.getJob(added.id)?.failedReason == "job stalled more than allowable limit")
        try await fixture.close()
    }

    @Test func globalConcurrencyFromMetaIsHonoured() async throws {
        let fixture = try QueueFixture()
        try await fixture.redis.command(["HSET", fixture.key("meta"), "concurrency", "1"])
        for index in 0..<6 { try await fixture.queue.add("g\(index)") }
        let overlap = Recorder<Int>()
        let running = Recorder<Int>()
        try await fixture.withWorker(
            WorkerOptions(concurrency: 4, drainDelay: .milliseconds(50)),
            processor: { context in
                running.append(1)
                overlap.append(try await fixture.queue.getJobCounts([.active])[.active] ?? 0)
                try await Task.sleep(for: .milliseconds(30))
                return nil
            }
        ) { _ async throws in
            #expect(try await eventually(timeout: .seconds(30)) { try await fixture.queue.getJobCounts([.completed])[.completed] == 6 })
        }
        #expect(overlap.values.allSatisfy { $0 <= 1 })
        try await fixture.close()
    }

    @Test func rateLimiterSpacesJobs() async throws {
        let fixture = try QueueFixture()
        for index in 0..<6 { try await fixture.queue.add("r\(index)") }
        try await Self.expectSixJobsSpreadByTheLimit(fixture, WorkerOptions(concurrency: 3, limiter: .init(max: 2, duration: .milliseconds(400))))
        try await fixture.close()
    }

    @Test func globalRateLimitFromMetaIsHonoured() async throws {
        let fixture = try QueueFixture()
        try await fixture.redis.command(["HSET", fixture.key("meta"), "max", "2", "duration", "400"])
        for index in 0..<6 { try await fixture.queue.add("g\(index)") }
        try await Self.expectSixJobsSpreadByTheLimit(fixture, WorkerOptions(concurrency: 3))
        try await fixture.close()
    }

    /// Runs the six queued jobs and checks, from the fetch times Redis recorded (processedOn),
    /// that two per 400 ms spread them over at least two full windows, however late the
    /// processors started.
    static func expectSixJobsSpreadByTheLimit(_ fixture: QueueFixture, _ options: WorkerOptions) async throws {
        _ = try await fixture.runWorker(options, recording: { _ in true }) { recorded in recorded.values.count == 6 }
        let sorted = try await fixture.queue.getJobs([.completed]).compactMap(\.processedOn).sorted()
        try #require(sorted.count == 6)
        #expect(sorted[5] - sorted[0] >= 780)
    }
}

import Foundation
@testable import JobQueue
import JSONSupport
import RedisClient
import TestSupport
import Testing

/// What another client (a buggy or hostile BullMQ peer) can leave in a shared queue's keys: none
/// of it may take our worker down or make a job vanish, and what BullMQ does with it, we do.
@Suite struct HostilePeerTests {
    /// A marker or scheduler score of `inf`, or past 2^63 (a huge delay), is read without trapping:
    /// `Int(_:)` on it would take the whole process down, with every job it ran.
    @Test func scoresNoIntegerHoldsDoNotTrapTheWorker() async throws {
        #expect(Int(clampingScore: .infinity) == .max && Int(clampingScore: -.infinity) == .min && Int(clampingScore: .nan) == 0)
        #expect(Int(clampingScore: 1e20) == .max && Int(clampingScore: 1234.9) == 1234)
        let fixture = try QueueFixture()
        _ = try await fixture.redis.command(["ZADD", fixture.key("marker"), "inf", "1"])
        _ = try await fixture.redis.command(["ZADD", fixture.key("repeat"), "1e20", "huge"])
        _ = try await fixture.redis.command(["HSET", fixture.key("repeat:huge"), "every", "1000", "name", "huge"])
        #expect(try await fixture.queue.getJobScheduler("huge")?.next == .max)
        try await fixture.withRecordingWorker { ran in
            #expect(try await fixture.workerIsBlockedOnTheMarker())
            _ = try await fixture.redis.command(["ZADD", fixture.key("marker"), "inf", "1"])
            let added = try await fixture.queue.add("after")
            #expect(try await eventually { ran.values == [added.id] })
        }
        #expect(throws: JobQueueError.self) { try JobOptions(delay: Int.max).validate() }
        try await fixture.close()
    }

    /// A parent that finishes while a child is pending (-4) or has failed (-9), e.g. children a
    /// peer added while it ran, cannot complete: as in BullMQ the attempt fails (and retries while
    /// attempts remain). Left active it would stall and run again.
    @Test func aParentThatCannotCompleteFailsTheAttempt() async throws {
        let fixture = try QueueFixture()
        let pending = try await fixture.queue.add("parent-pending", options: JobOptions(attempts: 2, backoff: .fixed(60_000)))
        let failedChild = try await fixture.queue.add("parent-failed-child")
        try await fixture.withWorker(processor: { context in
            let key = fixture.queue.keys.job(context.job.id)
            if context.job.id == pending.id {
                _ = try await fixture.redis.command(["SADD", RedisArgument(key + ":dependencies"), RedisArgument(fixture.queue.keys.job("ghost"))])
            } else {
                _ = try await fixture.redis.command(["ZADD", RedisArgument(key + ":unsuccessful"), "1", RedisArgument(fixture.queue.keys.job("lost"))])
            }
            return ["done": true]
        }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(pending.id) == .delayed }, "retried, attempts remain")
            #expect(try await eventually { try await fixture.queue.getJobState(failedChild.id) == .failed })
        }
        #expect(try await fixture.queue.getJob(pending.id)?.failedReason?.contains("has pending dependencies") == true)
        #expect(try await fixture.queue.getJob(failedChild.id)?.failedReason?.contains("at least one failed child") == true)
        try await fixture.close()
    }

    /// A `parent` field whose id or queue key is not text, and counters that are not integers,
    /// made a script fail after it had moved the job out of `active`, leaving it in no list.
    @Test func malformedFieldsLeaveNoJobInNoList() async throws {
        let fixture = try QueueFixture()
        let job = try await fixture.queue.add("odd")
        let key = RedisArgument(fixture.queue.keys.job(job.id))
        _ = try await fixture.redis.command(["HSET", key, "parent", #"{"id":true,"queueKey":{"a":1}}"#, "atm", "many", "ats", "1.5e300"])
        // Queue-wide settings and counters another client wrote as nonsense.
        _ = try await fixture.redis.command(["HSET", fixture.key("meta"), "opts.maxLenEvents", "lots", "concurrency", "many"])
        _ = try await fixture.redis.command(["HSET", fixture.key("metrics:completed"), "count", "x", "prevTS", "yesterday"])
        try await fixture.withWorker(WorkerOptions(metricsDataPoints: 10), processor: { _ in ["ok": true] }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(job.id) == .completed })
        }
        let fields = try await fixture.hash(job.id)
        #expect(fields["atm"] == "1" && fields["ats"] == "1")
        try await fixture.close()
    }

    /// BullMQ's retention and trace rules: `age: 0` removes what finished until now, a stack trace
    /// limit of 0 keeps none, and a custom id is refused only when it reads back as an integer.
    @Test func retentionTracesAndIdsAsBullMQ() async throws {
        let fixture = try QueueFixture()
        let gone = try await fixture.queue.add("gone", options: JobOptions(removeOnComplete: .policy(age: 0, count: nil, limit: nil)))
        let traceless = try await fixture.queue.add("traceless", options: JobOptions(stackTraceLimit: 0))
        try await fixture.withWorker(processor: { context in
            if context.job.id == traceless.id { throw UnrecoverableError("no trace") }
            return nil
        }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(traceless.id) == .failed })
            #expect(try await eventually { try await fixture.queue.getJobState(gone.id) == .unknown }, "age 0 keeps nothing finished")
        }
        #expect(try await fixture.hash(traceless.id)["stacktrace"] == "[]")
        #expect(throws: Never.self) { try JobOptions(jobId: "007").validate() }
        #expect(throws: JobQueueError.self) { try JobOptions(jobId: "42").validate() }
        #expect(throws: JobQueueError.self) { try JobOptions(jobId: "-5").validate() }
        try await fixture.close()
    }
}

import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

@Suite struct WorkerTests {
    @Test func roundTripWritesResultAndAttempts() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("std", data: ["a": 1, "s": "héllo"])
        let seen = Recorder<JSONValue>()
        try await fixture.withWorker(processor: { context in
            seen.append(context.job.data ?? .null)
            return ["ok": true]
        }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .completed })
        }
        #expect(seen.values == [["a": 1, "s": "héllo"]])
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(job.returnValue == ["ok": true])
        #expect(job.attemptsMade == 1 && job.attemptsStarted == 1)
        #expect((job.processedOn ?? 0) <= (job.finishedOn ?? 0))
        let names = try await fixture.events().map(\.name)
        #expect(names == ["added", "waiting", "active", "completed", "drained"])
        try await fixture.close()
    }

    /// As BullMQ's moveToFinished: the last waiting job finishing while a delayed one is pending
    /// is no `drained` (the worker is told when the delayed job is due instead).
    @Test func aQueueWithADelayedJobPendingIsNotDrained() async throws {
        let fixture = try QueueFixture()
        try await fixture.queue.add("later", options: JobOptions(delay: 60_000))
        let now = try await fixture.queue.add("now")
        try await fixture.withWorker(processor: { _ in nil }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(now.id) == .completed })
        }
        #expect(!(try await fixture.events().map(\.name).contains("drained")))
        try await fixture.close()
    }

    @Test func orderIsLifoThenFifoThenPriority() async throws {
        let fixture = try QueueFixture()
        try await fixture.queue.pause()
        for (name, options) in [
            ("s1", JobOptions()), ("s2", JobOptions()), ("lifo", JobOptions(lifo: true)),
            ("p10", JobOptions(priority: 10)), ("p1", JobOptions(priority: 1)), ("p1b", JobOptions(priority: 1)),
        ] {
            try await fixture.queue.add(name, options: options)
        }
        // Not due while the others run (however slow the machine); promoted once they are done.
        let delayed = try await fixture.queue.add("delayed", options: JobOptions(delay: 60_000))
        try await fixture.queue.resume()
        let order = Recorder<String>()
        try await fixture.withWorker(processor: { context in
            order.append(context.job.name)
            return nil
        }) { _ async throws in
            #expect(try await eventually { order.values.count == 6 })
            try await fixture.queue.promote(delayed.id)
            #expect(try await eventually { order.values.count == 7 })
        }
        #expect(order.values == ["lifo", "s1", "s2", "p1", "p1b", "p10", "delayed"])
        try await fixture.close()
    }

    @Test func delayedJobWaitsForItsTime() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("later", options: JobOptions(delay: 800))
        let ranAt = try await fixture.runWorker(WorkerOptions(drainDelay: .seconds(5)), recording: { _ in JobClock.system.nowMilliseconds() }) { _ in
            try await fixture.queue.getJobState(added.id) == .completed
        }
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect((ranAt.values.first ?? 0) >= job.timestamp + 800)
        try await fixture.close()
    }

    @Test func exponentialBackoffThenFinalFailure() async throws {
        let fixture = try QueueFixture()
        // Long enough delays that polling sees each one even on a loaded machine.
        let added = try await fixture.queue.add("flaky", options: JobOptions(attempts: 3, backoff: .exponential(600)))
        try await fixture.withWorker(processor: { context in
            struct Boom: Error, CustomStringConvertible { let n: Int; var description: String { "boom \(n)" } }
            throw Boom(n: context.job.attemptsMade + 1)
        }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .failed })
        }
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(job.attemptsMade == 3)
        #expect(job.failedReason == "boom 3")
        #expect(job.stacktrace.count == 3)
        let events = try await fixture.events()
        #expect(events.filter { $0.name == "delayed" }.count == 2)
        let exhausted = events.filter { $0.name == "retries-exhausted" }
        #expect(exhausted.count == 1 && exhausted.first?.fields["attemptsMade"] == "3")
        // 600 ms before the second attempt, 1200 ms before the third: each `delayed` event carries
        // its due time, and its stream id the time it was written (read from the events rather
        // than by polling the job, which a loaded machine can miss).
        let backoffs = events.filter { $0.name == "delayed" }.compactMap { event -> Int? in
            guard let due = event.fields["delay"].flatMap(Int.init), let written = event.id.split(separator: "-").first.flatMap({ Int($0) }) else { return nil }
            return due - written
        }
        // The due time comes from the worker's clock before the script runs, the id from Redis as it
        // runs: under load the second is later, so allow a quarter second either way.
        #expect(backoffs.count == 2 && abs(backoffs[0] - 600) <= 250 && abs(backoffs[1] - 1200) <= 250, "backoffs \(backoffs)")
        try await fixture.close()
    }

    @Test func retryWithoutBackoffGoesBackToWaitThenSucceeds() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("twice", options: JobOptions(attempts: 3))
        try await fixture.withWorker(processor: { context in
            if context.job.attemptsMade < 2 { throw RetryableFailure(message: "try \(context.job.attemptsMade)") }
            return "done"
        }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .completed })
        }
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(job.attemptsMade == 3)
        #expect(job.failedReason == "try 1")  // kept after success, as BullMQ does
        #expect(try await fixture.events().contains { $0.name == "waiting" && $0.fields["prev"] == "active" })
        try await fixture.close()
    }

    @Test func unrecoverableFailsAtOnce() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("bad", options: JobOptions(attempts: 5))
        try await fixture.withWorker(processor: { _ in throw UnrecoverableError("host key mismatch") }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .failed })
        }
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(job.attemptsMade == 1 && job.failedReason == "host key mismatch")
        #expect(try await !fixture.events().contains { $0.name == "retries-exhausted" })
        try await fixture.close()
    }

    @Test func progressAndLogsAreRecorded() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("p")
        let reported = Recorder<JSONValue>()
        let options = WorkerOptions(onEvent: { event in
            if case .progress(_, let value) = event { reported.append(value) }
        })
        try await fixture.withWorker(
            options,
            processor: { context in
                try await context.updateProgress(42)
                try await context.updateProgress(["pct": 50])
                try await context.log("halfway")
                return nil
            }
        ) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .completed })
        }
        #expect(try await fixture.queue.getJob(added.id)?.progress == ["pct": 50])
        #expect(try await fixture.queue.getLogs(added.id) == ["halfway"])
        let progress = try await fixture.events().filter { $0.name == "progress" }.compactMap { $0.fields["data"] }
        #expect(progress == ["42", #"{"pct":50}"#])
        #expect(reported.values == [42, ["pct": 50]])
        try await fixture.close()
    }

    @Test func timeoutFailsTheAttemptAndRetries() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("slow", options: JobOptions(attempts: 2, timeout: 200))
        try await fixture.withWorker(processor: { _ in
            try await Task.sleep(for: .seconds(30))
            return nil
        }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .failed })
        }
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(job.attemptsMade == 2)
        #expect(job.failedReason?.contains("time limit") == true)
        try await fixture.close()
    }

    @Test func retentionKeepsTheNewestCompleted() async throws {
        let fixture = try QueueFixture()
        for index in 0..<5 { try await fixture.queue.add("r\(index)", options: JobOptions(removeOnComplete: .count(2))) }
        try await fixture.queue.add("gone", options: JobOptions(removeOnComplete: .remove(true)))
        try await fixture.withWorker(processor: { _ in nil }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobCounts([.waiting, .active]).values.reduce(0, +) == 0 })
        }
        let kept = try await fixture.queue.getJobs([.completed]).map(\.name)
        #expect(kept.count == 2)
        #expect(!kept.contains("gone"))
        try await fixture.close()
    }

    @Test func badForeignJobsFailCleanlyAndMissingFieldsUseDefaults() async throws {
        let fixture = try QueueFixture()
        // Written by hand, as a foreign producer might: invalid JSON, and a hash with only name and data.
        try await fixture.redis.command(["HSET", RedisArgument(fixture.queue.keys.job("foreign-bad")), "name", "x", "data", "{not json"])
        try await fixture.redis.command(["HSET", RedisArgument(fixture.queue.keys.job("foreign-min")), "name", "y", "data", #"{"k":1}"#])
        try await fixture.redis.command(["LPUSH", fixture.key("wait"), "foreign-bad", "foreign-min"])
        try await fixture.redis.command(["ZADD", fixture.key("marker"), "0", "0"])
        try await fixture.withWorker(processor: { context in context.job.data ?? .null }) { _ async throws in
            #expect(
                try await eventually {
                    let bad = try await fixture.queue.getJobState("foreign-bad")
                    let minimal = try await fixture.queue.getJobState("foreign-min")
                    return bad == .failed && minimal == .completed
                })
        }
        #expect(try await fixture.queue.getJob("foreign-bad")?.failedReason?.contains("not valid JSON") == true)
        #expect(try await fixture.queue.getJob("foreign-min")?.returnValue == ["k": 1])
        try await fixture.close()
    }

    @Test func idleWorkerWakesForNewJobs() async throws {
        let fixture = try QueueFixture()
        let drained = DrainedSignal()
        try await fixture.withRecordingWorker(drained.options(WorkerOptions(drainDelay: .seconds(5)))) { done in
            // The worker found the queue empty and waits on the marker (for up to 5 s).
            #expect(try await drained.happened())
            #expect(try await fixture.workerIsBlockedOnTheMarker())
            let added = try await fixture.queue.add("wake")
            #expect(try await eventually(timeout: .seconds(3)) { done.values.contains(added.id) })
        }
        try await fixture.close()
    }

    @Test func gracefulCloseLetsTheRunningJobFinish() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("long")
        let started = Recorder<Bool>()
        try await fixture.withWorker(processor: { _ in
            started.append(true)
            try await Task.sleep(for: .milliseconds(500))
            return "finished"
        }) { worker async throws in
            #expect(try await eventually { !started.values.isEmpty })
            worker.close()
        }
        #expect(try await fixture.queue.getJob(added.id)?.returnValue == "finished")
        try await fixture.close()
    }
}

/// A plain (retryable) error with a message.
struct RetryableFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

/// Issue 13, item 7, the worker's side: backoff jitter, an unknown backoff type, the limiter's
/// duration, and `pb`, `meta.version` and the metrics lists.
@Suite struct ParityWorkerTests {
    @Test func jitterSpreadsTheBuiltInDelays() {
        let delays = (0..<2000).map { _ in Worker.jittered(1000, jitter: 0.5) }
        #expect(delays.allSatisfy { (500..<1000).contains($0) })
        #expect(Set(delays).count > 100)
        #expect(Worker.jittered(1000, jitter: nil) == 1000 && Worker.jittered(1000, jitter: 0) == 1000)
        #expect(throws: JobQueueError.self) { try JobOptions(backoff: .fixed(10, jitter: 1.5)).validate() }
    }

    /// Counts and delays from Redis are any producer's: none traps the worker that reads them.
    @Test func countsAndDelaysFromRedisCannotTrap() {
        let job = Job(id: "x", queueName: "q", fields: ["atm": String(Int.max), "ats": "-5", "stc": "99999999999999999999"])
        #expect(job.attemptsMade == Int(Int32.max) && job.attemptsStarted == 0 && job.stalledCounter == 0)
        #expect(job.attemptsMade + 1 > job.attemptsMade)
        let scheduler = JobSchedulerRecord(id: "s", fields: ["ic": String(Int.max), "pattern": "* * * * *"], next: nil)
        #expect(scheduler.iterationCount == Int(Int32.max))
        #expect(Worker.jittered(Int(Worker.latestDelay), jitter: 0.000001) <= Int(Worker.latestDelay))
    }

    @Test func jitterFromPythonIsHonouredAndOursReadsBackInPython() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let id = try #require(
            try await python.add([
                (
                    name: "flaky", data: [:],
                    opts: [
                        "attempts": 2, "backoff": ["type": "fixed", "delay": 60_000, "jitter": 0.5],
                    ]
                )
            ]).first)
        try await fixture.withWorker(processor: { _ in throw RetryableFailure(message: "not yet") }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(id) == .delayed })
        }
        let delay = try #require(try await fixture.queue.getJob(id)?.delay)
        #expect((30_000..<60_000).contains(delay))
        let ours = try await fixture.queue.add("ours", options: JobOptions(attempts: 2, backoff: .exponential(1000, jitter: 0.25)))
        #expect(try await python.jobs([ours.id])[ours.id]?["opts"]?["backoff"] == ["type": "exponential", "delay": 1000, "jitter": 0.25])
        try await fixture.close()
    }

    @Test func anUnknownBackoffTypeFailsTheJobInsteadOfRetryingAtOnce() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        // Python's worker (as BullMQ's) errors on our job: it neither retries it at once nor fails it.
        let forPython = try await fixture.queue.add("for-python", options: JobOptions(attempts: 3, backoff: Backoff(type: "nope", delay: 10)))
        #expect(try await python.work("fail", count: 1, seconds: 3) == 0)
        #expect(try await fixture.queue.getJob(forPython.id)?.attemptsMade == 0)
        // Ours fails the job at once, whoever added it.
        let ours = try await fixture.queue.add("ours", options: JobOptions(attempts: 3, backoff: Backoff(type: "nope", delay: 10)))
        let theirs = try #require(try await python.add([(name: "theirs", data: [:], opts: ["attempts": 3, "backoff": ["type": "nope", "delay": 10]])]).first)
        let errors = Recorder<String>()
        let options = WorkerOptions(drainDelay: .milliseconds(100), onEvent: { if case .error(let message) = $0 { errors.append(message) } })
        let runs = Recorder<String>()
        try await fixture.withWorker(
            options,
            processor: { context in
                runs.append(context.job.id)
                throw RetryableFailure(message: "broken")
            }
        ) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobCounts([.failed]) == [.failed: 2] })
        }
        #expect(runs.values.count == 2)
        for id in [ours.id, theirs] {
            let job = try #require(try await fixture.queue.getJob(id))
            #expect(job.attemptsMade == 1)
            #expect(job.failedReason?.contains("Unknown backoff strategy nope") == true && job.failedReason?.contains("broken") == true)
        }
        #expect(errors.values.count == 2)
        try await fixture.close()
    }

    /// The fetch script with a worker limiter of 5 per 800 ms under a queue limit of 1 per minute,
    /// then the limiter's TTL, in one pipeline: a stalled test process cannot let the 800 ms
    /// pass between the two.
    private func fetchUnderLimits(_ fixture: QueueFixture) async throws -> Int {
        let keys = fixture.queue.keys.scriptKeys
        let arguments: [RedisArgument] = [
            RedisArgument(fixture.queue.keys.base), "w:1", 30_000, RedisArgument(JobClock.system.nowMilliseconds()), 5, 800,
        ]
        let replies = try await fixture.redis.pipeline([
            ["EVAL", RedisArgument(QueueScript.moveToActive.source), RedisArgument(keys.count)] + keys + arguments,
            ["PTTL", fixture.key("limiter")],
        ])
        _ = try replies.first?.throwingServerError()
        return replies.last?.int ?? -2
    }

    @Test func theWorkersLimiterDurationWinsOverTheQueues() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        try await python.setGlobalRateLimit(max: 1, duration: 60_000)
        try await fixture.queue.add("a")
        let ttl = try await fetchUnderLimits(fixture)
        #expect(ttl > 0 && ttl <= 800)
        // A Python worker with its own limiter under our queue limit: its duration wins too.
        let other = try QueueFixture()
        _ = try await other.redis.command(["HSET", other.key("meta"), "max", "1", "duration", "60000"])
        try await other.queue.add("b")
        #expect(try await PythonBullMQ(other).work("echo", count: 1, seconds: 20, options: ["limiter": ["max": 5, "duration": 800]]) == 1)
        #expect(try await other.redis.command(["PTTL", other.key("limiter")]).int ?? -2 <= 800)
        try await other.close()
        try await fixture.close()
    }

    @Test func workersWriteProcessedByVersionAndMetrics() async throws {
        let fixture = try QueueFixture()
        let clock = ManualClock(1_800_000_001_000)
        let queue = try Queue(name: fixture.queue.name, redis: fixture.redis, clock: clock.jobClock)
        let done = Recorder<String>()
        let worker = Worker(
            queue: queue, options: WorkerOptions(drainDelay: .milliseconds(100), name: "swift-1", metricsDataPoints: 10),
            logger: queueLogger()
        ) { context in
            done.append(context.job.id)
            if context.job.name == "bad" { throw UnrecoverableError("bad") }
            return nil
        }
        let running = Task { try await worker.runUntilClosed() }
        let first = try await queue.add("one")
        #expect(try await eventually { try await queue.getJobState(first.id) == .completed })
        clock.advance(by: 120_000)  // two minutes later
        try await queue.add("two")
        try await queue.add("bad")
        #expect(try await eventually { try await queue.getJobCounts([.completed, .failed]) == [.completed: 2, .failed: 1] })
        worker.close()
        try await running.value
        #expect(try await queue.getJob(first.id)?.processedBy == "swift-1")
        #expect(try await queue.version() == BullMQLayout.metaVersion)
        let completed = try await queue.getMetrics(.completed)
        #expect(completed.count == 2 && completed.perMinute == [0, 1] && completed.countAtSample == 1)
        #expect(try await queue.getMetrics(.failed).count == 1)
        try await fixture.close()
    }

    @Test func processedByVersionAndMetricsReadAlikeInPythonAndUs() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let ours = try await fixture.queue.add("ours")
        try await fixture.withWorker(WorkerOptions(name: "swift-1", metricsDataPoints: 10), processor: { _ in nil }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(ours.id) == .completed })
        }
        #expect(try await python.hash(ours.id)["pb"] == "swift-1")
        #expect(try await python.hash("meta")["version"] == BullMQLayout.metaVersion)
        #expect(try await python.metrics("completed")["count"] == "1")
        // Python's side: its worker's metrics, and `pb` from its own moveToActive script.
        try await fixture.queue.add("theirs")
        #expect(try await python.work("echo", count: 1, seconds: 20, options: ["metrics": ["maxDataPoints": 10]]) == 1)
        #expect(try await fixture.queue.getMetrics(.completed).count == 2)
        let named = try await fixture.queue.add("named")
        #expect(try await python.activate(token: "py:1", workerName: "python-1") == named.id)
        #expect(try await fixture.queue.getJob(named.id)?.processedBy == "python-1")
        try await fixture.close()
    }
}

private typealias Backoff = JobOptions.Backoff

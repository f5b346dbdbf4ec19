import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

/// Both directions against the Python `bullmq` 3.4.4 client.
@Suite struct InteropTests {
    @Test func pythonProducerFeedsOurWorker() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let ids = try await python.add([
            (name: "std", data: ["a": 1, "s": "héllo"], opts: [:]),
            (name: "flaky", data: [:], opts: ["attempts": 3, "backoff": ["type": "exponential", "delay": 100]]),
            (name: "doomed", data: [:], opts: ["attempts": 2, "backoff": ["type": "fixed", "delay": 50]]),
            (name: "progress", data: [:], opts: ["priority": 2]),
            (name: "later", data: ["x": true], opts: ["delay": 300]),
        ])
        #expect(ids == ["1", "2", "3", "4", "5"])
        try await fixture.withWorker(
            WorkerOptions(concurrency: 3),
            processor: { context in
                switch context.job.name {
                case "flaky" where context.job.attemptsMade < 2: throw RetryableFailure(message: "not yet")
                case "doomed": throw RetryableFailure(message: "never works")
                case "progress": try await context.updateProgress(100)
                default: break
                }
                return ["ok": true, "echo": context.job.data ?? .null]
            }
        ) { _ async throws in
            #expect(
                try await eventually(timeout: .seconds(30)) {
                    try await fixture.queue.getJobCounts([.completed, .failed]) == [.completed: 4, .failed: 1]
                })
        }
        let seen = try await python.jobs(ids)
        let std = try #require(seen["1"])
        #expect(std["state"] == "completed")
        #expect(std["returnvalue"] == ["ok": true, "echo": ["a": 1, "s": "héllo"]])
        #expect(std["attemptsMade"] == 1 && std["attemptsStarted"] == 1)
        #expect((std["processedOn"]?.intValue ?? 0) <= (std["finishedOn"]?.intValue ?? -1))
        #expect(seen["2"]?["state"] == "completed" && seen["2"]?["attemptsMade"] == 3)
        #expect(seen["3"]?["state"] == "failed" && seen["3"]?["attemptsMade"] == 2)
        #expect(seen["3"]?["failedReason"] == "never works")
        #expect(seen["4"]?["progress"] == 100)
        #expect(seen["5"]?["returnvalue"]?["echo"] == ["x": true])
        try await fixture.close()
    }

    @Test func ourProducerFeedsAPythonWorker() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        var ids: [String] = []
        ids.append(try await fixture.queue.add("plain", data: ["n": 1]).id)
        ids.append(try await fixture.queue.add("custom", data: ["n": 2], options: JobOptions(jobId: "backup-abc")).id)
        ids.append(try await fixture.queue.add("urgent", data: ["n": 3], options: JobOptions(priority: 1)).id)
        ids.append(try await fixture.queue.add("soon", data: ["n": 4], options: JobOptions(delay: 200)).id)
        #expect(try await python.work("echo", count: 4, seconds: 20) == 4)
        for id in ids {
            let job = try #require(try await fixture.queue.getJob(id))
            #expect(try await fixture.queue.getJobState(id) == .completed)
            #expect(job.returnValue == ["by": "python", "echo": job.data ?? .null])
            #expect(job.attemptsMade == 1)
        }

        let failing = try await fixture.queue.add("bad", options: JobOptions(attempts: 2, backoff: .fixed(100))).id
        #expect(try await python.work("fail", count: 2, seconds: 20) == 2)
        let job = try #require(try await fixture.queue.getJob(failing))
        #expect(try await fixture.queue.getJobState(failing) == .failed)
        #expect(job.attemptsMade == 2 && job.failedReason == "python says no")
        #expect(job.stacktrace.count == 2)
        try await fixture.close()
    }

    @Test func jobCountsAgree() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        for index in 0..<3 { try await fixture.queue.add("w\(index)") }
        for index in 0..<2 { try await fixture.queue.add("p\(index)", options: JobOptions(priority: 3)) }
        for index in 0..<2 { try await fixture.queue.add("d\(index)", options: JobOptions(delay: 60_000)) }
        _ = try await python.add([(name: "py", data: [:], opts: ["priority": 1])])
        let ours = try await fixture.queue.getJobCounts()
        let theirs = try await python.counts()
        #expect(theirs["waiting"] == 3 && ours[.waiting] == 3)
        #expect(theirs["prioritized"] == 3 && ours[.prioritized] == 3)
        #expect(theirs["delayed"] == 2 && ours[.delayed] == 2)
        for state in [JobState.active, .completed, .failed, .waitingChildren] {  // Python does not count `paused` by default
            #expect(theirs[state.rawValue] == ours[state], "\(state)")
        }
        try await fixture.close()
    }

    @Test func pauseFromPythonStopsOurWorker() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        try await python.pause()
        let added = try await fixture.queue.add("held")
        try await fixture.expectPausedUntil({ try await python.resume() }, held: added.id)
        try await fixture.close()
    }

    /// Starts `medicineman-bench worker` on the fixture's queue with a slow processor.
    private func startCrashableWorker(_ fixture: QueueFixture) throws -> ChildProcess {
        try ChildProcess(
            try TestEnvironment.require("MM_TEST_BENCH"),
            [
                "worker", "--redis", try TestEnvironment.require(QueueFixture.redisURLVariable), "--queue", fixture.queue.name,
                "--prefix", fixture.queue.keys.prefix, "--behavior", "sleep:30000", "--lock-duration", "1000", "--stalled-interval", "500",
            ])
    }

    @Test(arguments: ["swift", "python"])
    func killedWorkersJobIsRecoveredAndCompletedOnce(recoveredBy: String) async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("victim", data: ["v": 1])
        let child = try startCrashableWorker(fixture)
        #expect(try await eventually(timeout: .seconds(20)) { try await fixture.queue.getJobState(added.id) == .active })
        child.signal(SIGKILL)
        _ = try await child.wait(timeout: .seconds(10))
        if recoveredBy == "swift" {
            try await fixture.withWorker(WorkerOptions(stalledInterval: .milliseconds(300)), processor: { _ in "recovered" }) { _ async throws in
                #expect(try await eventually(timeout: .seconds(30)) { try await fixture.queue.getJobState(added.id) == .completed })
            }
        } else {
            #expect(try await PythonBullMQ(fixture).work("echo", count: 1, seconds: 20) == 1)
        }
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(try await fixture.queue.getJobState(added.id) == .completed)
        #expect(job.stalledCounter == 1)
        #expect(job.attemptsStarted == 2)
        let completions = try await fixture.events().filter { $0.name == "completed" && $0.jobId == added.id }
        #expect(completions.count == 1)
        try await fixture.close()
    }
}

import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

@Suite struct JobSchedulerTests {
    @Test func everySchedulerKeepsOneIterationAheadAndIsAdvancedOnFetch() async throws {
        let fixture = try QueueFixture()
        let first = try #require(try await fixture.queue.upsertJobScheduler("heartbeat", repeat: .every(milliseconds: 300), name: "ping", data: ["n": 1]))
        #expect(first.hasPrefix("repeat:heartbeat:"))
        let stored = try await fixture.hash(first)
        #expect(stored["rjk"] == "heartbeat")
        let runs = Recorder<String>()
        try await fixture.withWorker(
            WorkerOptions(drainDelay: .milliseconds(100)),
            processor: { context in
                runs.append(context.job.id)
                return context.job.data ?? .null
            }
        ) { _ async throws in
            #expect(try await eventually { runs.values.count >= 3 })
        }
        let record = try #require(try await fixture.queue.getJobScheduler("heartbeat"))
        #expect(record.name == "ping" && record.repeatOptions.every == 300 && record.data == ["n": 1])
        #expect(record.iterationCount >= 4)  // three ran, one is pending
        let pending = "repeat:heartbeat:\(record.next ?? 0)"
        // Pending: still delayed, or already promoted to wait when its time came as the worker stopped.
        #expect([.delayed, .waiting].contains(try await fixture.queue.getJobState(pending)))
        let stamps = runs.values.compactMap { Int($0.split(separator: ":").last ?? "") }
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $1 - $0 >= 300 })
        #expect(try await fixture.queue.removeJobScheduler("heartbeat"))
        #expect(try await fixture.queue.getJobState(pending) == .unknown)
        #expect(try await fixture.queue.getJobSchedulers().isEmpty)
        try await fixture.close()
    }

    @Test func cronSchedulerWithTimeZoneAndLimit() async throws {
        let fixture = try QueueFixture()
        let schedule = RepeatOptions(pattern: "* * * * * *", timeZone: "Europe/Berlin", limit: 2)
        try await fixture.queue.upsertJobScheduler("every-second", repeat: schedule, name: "tick")
        let runs = try await fixture.withRecordingWorker { runs in
            #expect(try await eventually { runs.values.count >= 2 })
            // The limit is reached: no next occurrence was put in delayed or wait.
            let left = try await fixture.queue.getJobCounts([.delayed, .waiting])
            #expect(left[.delayed, default: 0] + left[.waiting, default: 0] == 0)
        }
        #expect(runs.values.count == 2)
        let stamps = runs.values.compactMap { Int($0.split(separator: ":").last ?? "") }
        #expect(stamps.allSatisfy { $0 % 1000 == 0 })
        try await fixture.close()
    }

    @Test func badSchedulesAreRefused() async throws {
        let fixture = try QueueFixture()
        for schedule in [
            RepeatOptions(), RepeatOptions(every: 10, pattern: "* * * * *"), RepeatOptions(pattern: "99 * * * *"),
            RepeatOptions(pattern: "* * * * *", timeZone: "Mars/Olympus"), RepeatOptions(every: 0),
        ] {
            await #expect(throws: JobQueueError.self) { try await fixture.queue.upsertJobScheduler("bad", repeat: schedule, name: "x") }
        }
        try await fixture.close()
    }

    @Test func schedulersInteroperateWithPython() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        // Ours, advanced by a Python worker.
        try await fixture.queue.upsertJobScheduler("ours", repeat: .every(milliseconds: 200), name: "swift-made")
        #expect(try await python.work("echo", count: 3, seconds: 20) >= 3)
        let ours = try #require(try await fixture.queue.getJobScheduler("ours"))
        #expect(ours.iterationCount >= 4)
        #expect(try await python.scheduler("ours")["every"]?.intValue == 200)
        try await fixture.queue.removeJobScheduler("ours")
        // Python's, advanced by our worker.
        _ = try await python.schedule("theirs", repeat: ["every": 200], name: "python-made")
        let runs = try await fixture.runWorker(WorkerOptions(drainDelay: .milliseconds(100)), recording: { context in context.job.name }) { recorded in recorded.values.count >= 3 }
        #expect(Set(runs.values) == ["python-made"])
        try await fixture.close()
    }
}

import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

@Suite struct QueueAdminTests {
    @Test func pauseStopsWorkersAndResumeRestartsThem() async throws {
        let fixture = try QueueFixture()
        try await fixture.queue.pause()
        #expect(try await fixture.queue.isPaused())
        #expect(try await fixture.redis.command(["EXISTS", fixture.key("marker")]).int == 0)
        let added = try await fixture.queue.add("held")
        try await fixture.expectPausedUntil({ try await fixture.queue.resume() }, held: added.id)
        let names = try await fixture.events().map(\.name)
        #expect(names.contains("paused") && names.contains("resumed"))
        try await fixture.close()
    }

    @Test func removeDeletesButRefusesLockedJobs() async throws {
        let fixture = try QueueFixture()
        let waiting = try await fixture.queue.add("w")
        try await fixture.queue.addLog(waiting.id, "line")
        #expect(try await fixture.queue.remove(waiting.id))
        #expect(try await fixture.queue.getJob(waiting.id) == nil)
        #expect(try await fixture.redis.command(["EXISTS", RedisArgument(fixture.queue.keys.job(waiting.id) + ":logs")]).int == 0)
        #expect(try await fixture.events().contains { $0.name == "removed" && $0.fields["prev"] == "wait" })
        #expect(try await !fixture.queue.remove("no-such-job"))

        let busy = try await fixture.queue.add("busy")
        let started = Recorder<Bool>()
        let removalTried = Gate()
        try await fixture.withWorker(processor: { _ in
            started.append(true)
            try await removalTried.wait()  // active and locked until the removal was refused
            return nil
        }) { _ async throws in
            #expect(try await eventually { !started.values.isEmpty })
            await #expect(throws: JobQueueError.self) { try await fixture.queue.remove(busy.id) }
            removalTried.open()
            #expect(try await eventually { try await fixture.queue.getJobState(busy.id) == .completed })
        }
        try await fixture.close()
    }

    @Test func cleanDrainCountsAndRetry() async throws {
        let fixture = try QueueFixture()
        for index in 0..<3 { try await fixture.queue.add("ok\(index)") }
        for index in 0..<2 { try await fixture.queue.add("bad\(index)") }
        try await fixture.withWorker(
            WorkerOptions(concurrency: 2),
            processor: { context in
                if context.job.name.hasPrefix("bad") { throw RetryableFailure(message: "nope") }
                return nil
            }
        ) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobCounts([.completed, .failed]) == [.completed: 3, .failed: 2] })
        }
        let cleaned = try await fixture.queue.clean(grace: .zero, limit: 0, state: .completed)
        #expect(cleaned.count == 3)
        #expect(try await fixture.events().contains { $0.name == "cleaned" && $0.fields["count"] == "3" })
        #expect(try await fixture.queue.clean(grace: .zero, limit: 1, state: .failed).count == 1)

        let failed = try #require(try await fixture.queue.getJobs([.failed]).first)
        try await fixture.queue.retryJob(failed.id)
        #expect(try await fixture.queue.getJobState(failed.id) == .waiting)
        await #expect(throws: JobQueueError.self) { try await fixture.queue.retryJob(failed.id) }

        try await fixture.queue.add("p", options: JobOptions(priority: 2))
        let delayed = try await fixture.queue.add("d", options: JobOptions(delay: 60_000))
        try await fixture.queue.drain()
        var counts = try await fixture.queue.getJobCounts()
        #expect(counts[.waiting] == 0 && counts[.prioritized] == 0 && counts[.delayed] == 1)
        try await fixture.queue.promote(delayed.id)
        #expect(try await fixture.queue.getJobState(delayed.id) == .waiting)
        try await fixture.queue.add("d2", options: JobOptions(delay: 60_000))
        try await fixture.queue.drain(includeDelayed: true)
        counts = try await fixture.queue.getJobCounts()
        #expect(counts[.waiting] == 0 && counts[.delayed] == 0)
        try await fixture.close()
    }

    @Test func listingsReadOnlyTheirRangeInEitherOrder() async throws {
        let fixture = try QueueFixture()
        for index in 0..<6 { try await fixture.queue.add("w\(index)") }
        for index in 0..<4 { try await fixture.queue.add("d\(index)", options: JobOptions(delay: 60_000 + index * 1000)) }
        let names = { (jobs: [Job]) in jobs.map(\.name) }
        #expect(names(try await fixture.queue.getJobs([.waiting], start: 1, end: 2)) == ["w4", "w3"])
        #expect(names(try await fixture.queue.getJobs([.waiting], start: 1, end: 2, ascending: true)) == ["w1", "w2"])
        #expect(names(try await fixture.queue.getJobs([.waiting], start: -2, end: -1, ascending: true)) == ["w4", "w5"])
        #expect(names(try await fixture.queue.getJobs([.delayed], start: 0, end: 1)) == ["d3", "d2"])
        // The combined list: each state's part, then the next state's.
        #expect(names(try await fixture.queue.getJobs([.waiting, .delayed], start: 5, end: 7)) == ["w0", "d3", "d2"])
        #expect(names(try await fixture.queue.getJobs([.waiting, .delayed], start: -2)) == ["d1", "d0"])
        #expect(try await fixture.queue.getJobIds(.waiting, start: 10, end: 20).isEmpty)
        let fields = try await fixture.queue.jobFields(["name", "nope"], of: try await fixture.queue.getJobIds(.waiting, start: 0, end: 0) + ["missing"])
        #expect(fields.count == 2 && fields[0] == ["w5", nil] && fields[1] == [nil, nil])
        try await fixture.queue.obliterate()
        await fixture.redis.close()
    }

    @Test func obliterateLeavesNoKeys() async throws {
        let fixture = try QueueFixture()
        for index in 0..<20 { try await fixture.queue.add("j\(index)", options: JobOptions(delay: index % 2 == 0 ? 0 : 10_000)) }
        try await fixture.queue.obliterate(batch: 7)
        let left = try await fixture.redis.command(["KEYS", RedisArgument(fixture.queue.keys.base + "*")]).array ?? []
        #expect(left.isEmpty)
        await fixture.redis.close()
    }
}

@Suite struct QueueWorkerCountTests {
    @Test func workersAreCountedByTheirBullMQConnectionName() async throws {
        let fixture = try QueueFixture()
        #expect(try await fixture.queue.workerCount() == 0)
        try await fixture.withWorker(processor: { _ in nil }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.workerCount() == 1 })
        }
        #expect(try await eventually { try await fixture.queue.workerCount() == 0 })
        try await fixture.close()
    }
}

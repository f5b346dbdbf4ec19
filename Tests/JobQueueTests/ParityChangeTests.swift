import ErrorCodes
import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

/// Issue 13, item 7: `changePriority` and `changeDelay`.
@Suite struct ParityChangeTests {
    private func prioritized(_ fixture: QueueFixture) async throws -> [String] {
        try await fixture.redis.command(["ZRANGE", fixture.key("prioritized"), 0, -1]).array?.compactMap(\.string) ?? []
    }

    @Test func changePriorityMovesAWaitingJob() async throws {
        let fixture = try QueueFixture()
        let a = try await fixture.queue.add("a", options: JobOptions(priority: 5)).id
        let b = try await fixture.queue.add("b", options: JobOptions(priority: 5)).id
        let c = try await fixture.queue.add("c", options: JobOptions(priority: 10)).id
        try await fixture.queue.changePriority(c, priority: 1)
        #expect(try await prioritized(fixture) == [c, a, b])
        try await fixture.queue.changePriority(b, priority: 5, lifo: true)  // ahead of its priority
        #expect(try await prioritized(fixture) == [c, b, a])
        try await fixture.queue.changePriority(a, priority: 0)
        #expect(try await fixture.queue.getJobState(a) == .waiting)
        #expect(try await fixture.queue.getJob(a)?.priority == 0)
        #expect(try await fixture.queue.getJob(c)?.priority == 1)
        await #expect(throws: JobQueueError.self) { try await fixture.queue.changePriority("missing", priority: 1) }
        try await fixture.close()
    }

    @Test func changeDelayReschedulesADelayedJob() async throws {
        let fixture = try QueueFixture()
        let delayed = try await fixture.queue.add("d", options: JobOptions(delay: 600_000)).id
        let before = JobClock.system.nowMilliseconds()
        try await fixture.queue.changeDelay(delayed, delay: 5_000)
        let score = try #require(try await fixture.redis.command(["ZSCORE", fixture.key("delayed"), RedisArgument(delayed)]).string.flatMap(Double.init))
        let due = Int(score / 4096)
        #expect(due >= before + 5_000 && due < before + 600_000)
        #expect(try await fixture.queue.getJob(delayed)?.delay == 5_000)
        #expect(try await fixture.events().contains { $0.name == "delayed" && $0.fields["delay"] == String(due) })
        let waiting = try await fixture.queue.add("w").id
        let refusal = await #expect(throws: JobQueueError.self) { try await fixture.queue.changeDelay(waiting, delay: 10) }
        #expect(refusal?.code == .notInExpectedState)
        try await fixture.close()
    }

    @Test func prioritiesChangedOnEitherSideAgree() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let theirs = try await python.add([(name: "p", data: [:], opts: ["priority": 5]), (name: "q", data: [:], opts: ["priority": 10])])
        try await fixture.queue.changePriority(theirs[1], priority: 1)
        #expect(try await python.jobs([theirs[1]])[theirs[1]]?["state"] == "prioritized")
        #expect(try await prioritized(fixture) == [theirs[1], theirs[0]])
        let ours = try await fixture.queue.add("r", options: JobOptions(priority: 20)).id
        try await python.changePriority(ours, priority: 2)
        #expect(try await prioritized(fixture) == [theirs[1], ours, theirs[0]])
        #expect(try await fixture.queue.getJob(ours)?.priority == 2)
        // A Python worker runs them in the new order.
        #expect(try await python.work("echo", count: 3, seconds: 20) == 3)
        let started = try await [theirs[1], ours, theirs[0]].asyncMap { try await fixture.queue.getJob($0)?.processedOn ?? .max }
        #expect(started == started.sorted())
        try await fixture.close()
    }

    @Test func delaysChangedOnEitherSideAreHonoured() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let theirs = try #require(try await python.add([(name: "p", data: [:], opts: ["delay": 600_000])]).first)
        try await fixture.queue.changeDelay(theirs, delay: 200)
        #expect(try await python.work("echo", count: 1, seconds: 20) == 1)  // Python's job, now due
        let ours = try await fixture.queue.add("o", options: JobOptions(delay: 600_000)).id
        #expect(try await python.changeDelay(ours, delay: 300) == 0)  // the package's own changeDelay script
        #expect(try await fixture.queue.getJob(ours)?.delay == 300)
        _ = try await fixture.runWorker(WorkerOptions(drainDelay: .milliseconds(100)), recording: { context in context.job.id }) { recorded in recorded.values == [ours] }
        #expect(try await fixture.queue.getJobState(theirs) == .completed)
        try await fixture.close()
    }
}

import ErrorCodes
import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

/// Issue 13, item 4 (`removeJob`: a scheduler's current iteration is refused, children go by
/// default, deduplication keys go) and item 5 (`drain` keeps each scheduler's current iteration).
@Suite struct ParityRemovalTests {
    private func exists(_ fixture: QueueFixture, _ key: String) async throws -> Bool {
        try await fixture.redis.command(["EXISTS", RedisArgument(key)]).int == 1
    }

    private func currentIteration(_ fixture: QueueFixture, _ scheduler: String) async throws -> String {
        let next = try #require(try await fixture.queue.getJobScheduler(scheduler)?.next)
        return "repeat:\(scheduler):\(next)"
    }

    @Test func aSchedulersCurrentIterationCannotBeRemoved() async throws {
        let fixture = try QueueFixture()
        let iteration = try #require(try await fixture.queue.upsertJobScheduler("nightly", repeat: .every(milliseconds: 60_000), name: "n"))
        let refusal = await #expect(throws: JobQueueError.self) { try await fixture.queue.remove(iteration) }
        #expect(refusal?.code == .schedulerIteration)
        #expect(try await fixture.queue.getJobState(iteration) == .waiting)
        try await fixture.close()
    }

    @Test func removeTakesTheChildrenAlongUnlessToldNot() async throws {
        let fixture = try QueueFixture()
        let kids = try Queue(name: TestEnvironment.uniqueName("kids"), redis: fixture.redis)
        let flows = FlowProducer(redis: fixture.redis)
        func tree(_ name: String) -> FlowNode {
            FlowNode(
                name: name, queueName: fixture.queue.name,
                children: [
                    FlowNode(name: "a", queueName: kids.name), FlowNode(name: "b", queueName: fixture.queue.name),
                ])
        }
        let flow = try await flows.add(tree("p1"))
        #expect(try await fixture.queue.remove(flow.id))
        #expect(try await kids.getJob(flow.children[0].id) == nil)
        #expect(try await fixture.queue.getJob(flow.children[1].id) == nil)
        #expect(try await QueueEvents(queue: kids).read(after: "0-0").contains { $0.name == "removed" && $0.jobId == flow.children[0].id })
        let kept = try await flows.add(tree("p2"))
        #expect(try await fixture.queue.remove(kept.id, removeChildren: false))
        #expect(try await kids.getJob(kept.children[0].id) != nil)
        try await kids.obliterate(force: true)
        try await fixture.close()
    }

    @Test func removeDeletesTheJobsDeduplicationKeys() async throws {
        let fixture = try QueueFixture()
        let throttled = try await fixture.queue.add("t", options: JobOptions(deduplication: .init(id: "throttle", ttl: 60_000)))
        let kept = try await fixture.queue.add("k", options: JobOptions(deduplication: .init(id: "last", keepLastIfActive: true)))
        _ = try await fixture.redis.command(["HSET", fixture.key("dn:last"), "name", "k", "data", "{}", "opts", "{}"])
        #expect(try await fixture.queue.remove(throttled.id))  // a TTL does not keep the key of a removed job
        #expect(try await fixture.queue.remove(kept.id))
        for key in ["de:throttle", "de:last", "dn:last"] { #expect(try await !exists(fixture, fixture.queue.keys.key(key)), "\(key)") }
        try await fixture.close()
    }

    @Test func removalRulesHoldBetweenPythonAndUs() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        // Scheduler iterations: Python's refused by us, ours refused by Python (-8).
        let pythonIteration = try #require(try await python.schedule("py", repeat: ["every": 60_000], name: "py"))
        await #expect(throws: JobQueueError.self) { try await fixture.queue.remove(pythonIteration) }
        let ourIteration = try #require(try await fixture.queue.upsertJobScheduler("ours", repeat: .every(milliseconds: 60_000), name: "o"))
        #expect(try await python.remove(ourIteration) == -8)
        #expect(try await fixture.queue.getJobState(ourIteration) == .waiting)
        // Children go by default: Python's flow removed by us, ours by Python.
        let pythonFlow = try await python.flow([
            "name": "p", "queueName": .string(fixture.queue.name),
            "children": [
                ["name": "c", "queueName": .string(fixture.queue.name)]
            ],
        ])
        #expect(try await fixture.queue.remove(try #require(pythonFlow["id"]?.stringValue)))
        #expect(try await python.jobs(childIds(pythonFlow)).values.allSatisfy { $0 == .null })
        let ourFlow = try await FlowProducer(redis: fixture.redis).add(
            FlowNode(
                name: "p", queueName: fixture.queue.name,
                children: [
                    FlowNode(name: "c", queueName: fixture.queue.name)
                ]))
        #expect(try await python.remove(ourFlow.id) == 1)
        #expect(try await fixture.queue.getJob(ourFlow.children[0].id) == nil)
        // Deduplication keys: Python's job removed by us, ours by Python.
        let pythonDeduplicated = try #require(try await python.add([(name: "d", data: [:], opts: ["deduplication": ["id": "py-d", "ttl": 60_000]])]).first)
        #expect(try await fixture.queue.remove(pythonDeduplicated))
        let ours = try await fixture.queue.add("d", options: JobOptions(deduplication: .init(id: "our-d", keepLastIfActive: true)))
        _ = try await fixture.redis.command(["HSET", fixture.key("dn:our-d"), "name", "d", "data", "{}", "opts", "{}"])
        #expect(try await python.remove(ours.id) == 1)
        for key in ["de:py-d", "de:our-d", "dn:our-d"] { #expect(try await !exists(fixture, fixture.queue.keys.key(key)), "\(key)") }
        try await fixture.close()
    }

    @Test func drainKeepsEachSchedulersCurrentIterationAndTheSchedulersRun() async throws {
        let fixture = try QueueFixture()
        let now = JobClock.system.nowMilliseconds()
        let soon = try #require(try await fixture.queue.upsertJobScheduler("soon", repeat: .every(milliseconds: 300), name: "soon"))
        let later = try #require(
            try await fixture.queue.upsertJobScheduler(
                "later", repeat: RepeatOptions(every: 60_000, startDate: now + 600_000), name: "later"))
        for index in 0..<3 { try await fixture.queue.add("w\(index)") }
        try await fixture.queue.add("p", options: JobOptions(priority: 3))
        try await fixture.queue.add("d", options: JobOptions(delay: 60_000))
        try await fixture.queue.drain(includeDelayed: true)
        #expect(try await fixture.queue.getJobCounts([.waiting, .prioritized, .delayed]) == [.waiting: 1, .prioritized: 0, .delayed: 1])
        #expect(try await fixture.queue.getJobState(soon) == .waiting)
        #expect(try await fixture.queue.getJobState(later) == .delayed)
        let runs = try await fixture.runWorker(WorkerOptions(drainDelay: .milliseconds(100)), recording: { context in context.job.name }) { recorded in recorded.values.count >= 2 }
        #expect(Set(runs.values) == ["soon"])
        try await fixture.close()
    }

    @Test func drainKeepsIterationsAcrossPythonAndUs() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let pythonIteration = try #require(try await python.schedule("py", repeat: ["every": 60_000], name: "py"))
        _ = try await python.add([(name: "x", data: [:], opts: ["delay": 60_000]), (name: "y", data: [:], opts: [:])])
        try await fixture.queue.drain(includeDelayed: true)
        #expect(try await fixture.queue.getJobCounts([.waiting, .delayed]) == [.waiting: 1, .delayed: 0])
        #expect(try await python.jobs([pythonIteration])[pythonIteration]?["state"] == "waiting")
        let ourIteration = try #require(
            try await fixture.queue.upsertJobScheduler(
                "ours", repeat: RepeatOptions(every: 60_000, startDate: JobClock.system.nowMilliseconds() + 600_000), name: "o"))
        try await fixture.queue.add("z", options: JobOptions(delay: 60_000))
        try await python.drain(includeDelayed: true)
        #expect(try await fixture.queue.getJobState(ourIteration) == .delayed)
        #expect(try await currentIteration(fixture, "ours") == ourIteration)
        #expect(try await fixture.queue.getJobCounts([.delayed]) == [.delayed: 1])
        try await fixture.close()
    }
}

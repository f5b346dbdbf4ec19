import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

@Suite struct FlowTests {
    @Test func parentRunsAfterItsChildrenAndReadsTheirResults() async throws {
        let parents = try QueueFixture()
        let children = try Queue(name: TestEnvironment.uniqueName("kids"), redis: parents.redis)
        let flows = FlowProducer(redis: parents.redis)
        let flow = try await flows.add(
            FlowNode(
                name: "report", queueName: parents.queue.name, data: ["server": "web-1"],
                children: [
                    FlowNode(name: "scan", queueName: children.name, data: ["part": 1]),
                    FlowNode(name: "scan", queueName: children.name, data: ["part": 2]),
                ]))
        #expect(try await parents.queue.getJobState(flow.id) == .waitingChildren)
        #expect(try await parents.redis.command(["SCARD", RedisArgument(parents.queue.keys.job(flow.id) + ":dependencies")]).int == 2)

        let childKeys = flow.children.map { children.keys.job($0.id) }
        let parentSaw = Recorder<[String: JSONValue]>()
        let childWorker = Worker(queue: children, logger: queueLogger()) { context in
            ["done": context.job.data?["part"] ?? .null]
        }
        let childRun = Task { try await childWorker.runUntilClosed() }
        try await parents.withWorker(processor: { context in
            let values = try await context.childrenValues()
            parentSaw.append(values)
            return .int(Int64(values.count))
        }) { _ async throws in
            #expect(try await eventually { try await parents.queue.getJobState(flow.id) == .completed })
        }
        childWorker.close()
        try await childRun.value
        #expect(parentSaw.values.count == 1)
        #expect(parentSaw.values.first?[childKeys[0]] == ["done": 1])
        #expect(parentSaw.values.first?[childKeys[1]] == ["done": 2])
        let child = try #require(try await children.getJob(flow.children[0].id))
        #expect(child.parentKey == parents.queue.keys.job(flow.id))
        try await children.obliterate(force: true)
        try await parents.close()
    }

    /// Children that already exist as completed jobs (custom ids) count as done: a flow made only
    /// of them runs its parent at once; one with a new child too waits for that child.
    @Test func aParentWhoseChildrenAlreadyCompletedIsNotLeftWaiting() async throws {
        try await QueueFixture.with { fixture in
            for id in ["done-a", "done-b"] { try await fixture.queue.add("child", options: JobOptions(jobId: id)) }
            try await fixture.withWorker(processor: { _ in "ok" }) { _ async throws in
                #expect(try await eventually { try await fixture.queue.getJobCounts([.completed]) == [.completed: 2] })
            }
            let again = try await fixture.addFlow(children: [fixture.node("child", options: JobOptions(jobId: "done-a"))])
            #expect(try await fixture.queue.getJobState(again.id) == .waiting, "nothing left to wait for")
            let processed = try await fixture.redis.command(["HGET", RedisArgument(fixture.queue.keys.job(again.id) + ":processed"), RedisArgument(fixture.queue.keys.job("done-a"))])
            #expect(processed.string == "\"ok\"")
            let mixed = try await fixture.addFlow(children: [fixture.node("child", options: JobOptions(jobId: "done-b")), fixture.node("new-child")])
            #expect(try await fixture.queue.getJobState(mixed.id) == .waitingChildren, "the new child still runs first")
        }
    }

    @Test func failingChildFailsTheParentWhenAsked() async throws {
        try await QueueFixture.with { parents in
            let flow = try await parents.addFlow(children: [parents.node("bad-child", options: JobOptions(onChildFailure: .failParent))])
            let parentRan = Recorder<Bool>()
            try await parents.work(until: flow.id, is: .failed, failing: "bad-child") { _ in
                parentRan.append(true)
                return nil
            }
            #expect(parentRan.values.isEmpty)
            let childKey = parents.queue.keys.job(flow.children[0].id)
            #expect(try await parents.queue.getJob(flow.id)?.failedReason == "child \(childKey) failed")
            // The child, retried, fails again: the parent has failed already and keeps its reason;
            // nothing is left on it that would fail a later retry of the parent at once.
            try await parents.queue.retryJob(flow.children[0].id)
            try await parents.work(until: flow.children[0].id, is: .failed, failing: "bad-child")
            let deferred = try await parents.redis.command(["HGET", RedisArgument(parents.queue.keys.job(flow.id)), "defa"])
            #expect(deferred.string == nil)
            #expect(try await parents.queue.getJobState(flow.id) == .failed)
        }
    }

    @Test func ignoredChildFailureLetsTheParentRun() async throws {
        try await QueueFixture.with { parents in
            let flow = try await parents.addFlow(children: [
                parents.node("bad-child", options: JobOptions(onChildFailure: .ignore)), parents.node("good-child"),
            ])
            let failures = Recorder<[String: String]>()
            try await parents.work(until: flow.id, is: .completed, failing: "bad-child") { context in
                if context.job.name == "parent" { failures.append(try await context.failedChildren()) }
                return "ok"
            }
            #expect(failures.values.first?.values.first == "child broke")
        }
    }

    @Test func aChildPythonProcessedReleasesOurParent() async throws {
        let parents = try QueueFixture()
        let kids = try QueueFixture()
        let flows = FlowProducer(redis: parents.redis)
        let flow = try await flows.add(
            FlowNode(
                name: "parent", queueName: parents.queue.name,
                children: [
                    FlowNode(name: "child", queueName: kids.queue.name, data: ["from": "swift"])
                ]))
        #expect(try await PythonBullMQ(kids).work("echo", count: 1, seconds: 20) == 1)
        #expect(try await parents.queue.getJobState(flow.id) == .waiting)
        let values = try await parents.queue.childrenValues(of: flow.id)
        #expect(values[kids.queue.keys.job(flow.children[0].id)] == ["by": "python", "echo": ["from": "swift"]])
        try await kids.close()
        try await parents.close()
    }
}

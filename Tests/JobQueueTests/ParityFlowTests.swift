import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

/// The ids of a flow tree's children, as `PythonBullMQ.flow` prints them.
func childIds(_ tree: JSONValue) -> [String] {
    guard case .array(let children)? = tree["children"] else { return [] }
    return children.compactMap { $0["id"]?.stringValue }
}

/// Issue 13, item 3 (a failed child deleted by `removeOnFail` releases its parent) and the flow
/// point of item 7 (a retried child is one of its parent's dependencies again).
@Suite struct ParityFlowTests {
    private func dependencies(_ fixture: QueueFixture, of parent: String) async throws -> Set<String> {
        Set(
            try await fixture.redis.command(["SMEMBERS", RedisArgument(fixture.queue.keys.job(parent) + ":dependencies")])
                .array?.compactMap(\.string) ?? [])
    }

    @Test func aFailedChildDeletedOnFailureReleasesItsParent() async throws {
        let fixture = try QueueFixture()
        let flow = try await FlowProducer(redis: fixture.redis).add(
            FlowNode(
                name: "parent", queueName: fixture.queue.name,
                children: [
                    FlowNode(name: "child", queueName: fixture.queue.name, options: JobOptions(removeOnFail: .remove(true)))
                ]))
        try await fixture.withWorker(
            WorkerOptions(drainDelay: .milliseconds(100)),
            processor: { context in
                if context.job.name == "child" { throw UnrecoverableError("child broke") }
                return "parent ran"
            }
        ) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(flow.id) == .completed })
        }
        #expect(try await fixture.queue.getJob(flow.children[0].id) == nil)
        #expect(try await fixture.events().contains { $0.name == "waiting" && $0.jobId == flow.id && $0.fields["prev"] == "waiting-children" })
        try await fixture.close()
    }

    @Test func pythonsFlowIsReleasedWhenOurWorkerDeletesTheFailedChild() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let flow = try await python.flow([
            "name": "parent", "queueName": .string(fixture.queue.name),
            "children": [
                ["name": "child", "queueName": .string(fixture.queue.name), "opts": ["removeOnFail": true]]
            ],
        ])
        let parent = try #require(flow["id"]?.stringValue)
        try await fixture.withWorker(
            WorkerOptions(drainDelay: .milliseconds(100)),
            processor: { context in
                if context.job.name == "child" { throw UnrecoverableError("child broke") }
                return "parent ran"
            }
        ) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(parent) == .completed })
        }
        #expect(try await python.jobs([parent])[parent]?["state"] == "completed")
        try await fixture.close()
    }

    @Test func ourFlowIsReleasedWhenAPythonWorkerDeletesTheFailedChild() async throws {
        let fixture = try QueueFixture()
        let flow = try await FlowProducer(redis: fixture.redis).add(
            FlowNode(
                name: "parent", queueName: fixture.queue.name,
                children: [
                    FlowNode(name: "child", queueName: fixture.queue.name, options: JobOptions(removeOnFail: .remove(true)))
                ]))
        // The Python worker fails both: the child (deleted), then the parent it released.
        #expect(try await PythonBullMQ(fixture).work("fail", count: 2, seconds: 20) == 2)
        #expect(try await fixture.queue.getJobState(flow.id) == .failed)
        #expect(try await fixture.queue.getJob(flow.children[0].id) == nil)
        try await fixture.close()
    }

    @Test func aRetriedChildIsItsParentsDependencyAgain() async throws {
        let fixture = try QueueFixture()
        let flow = try await FlowProducer(redis: fixture.redis).add(
            FlowNode(
                name: "parent", queueName: fixture.queue.name,
                children: [
                    FlowNode(name: "child", queueName: fixture.queue.name, options: JobOptions(onChildFailure: .ignore))
                ]))
        let child = flow.children[0].id
        let childKey = fixture.queue.keys.job(child)
        try await fixture.withWorker(
            WorkerOptions(drainDelay: .milliseconds(100)),
            processor: { context in
                if context.job.name == "child" { throw UnrecoverableError("child broke") }
                return nil
            }
        ) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(flow.id) == .completed })
        }
        #expect(try await fixture.queue.failedChildren(of: flow.id)[childKey] == "child broke")
        try await fixture.queue.retryJob(child)
        #expect(try await dependencies(fixture, of: flow.id) == [childKey])
        #expect(try await fixture.queue.failedChildren(of: flow.id).isEmpty)
        try await fixture.close()
    }

    @Test func retriedChildrenRejoinTheirParentsAcrossPythonAndUs() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        // Python's flow, its child failed by a Python worker, retried by us.
        let pythonFlow = try await python.flow([
            "name": "parent", "queueName": .string(fixture.queue.name),
            "children": [
                ["name": "child", "queueName": .string(fixture.queue.name), "opts": ["failParentOnFailure": true]]
            ],
        ])
        let parent = try #require(pythonFlow["id"]?.stringValue)
        let child = try #require(childIds(pythonFlow).first)
        #expect(try await python.work("fail", count: 2, seconds: 20) == 2)  // the child, then the parent it failed
        try await fixture.queue.retryJob(child)
        #expect(try await dependencies(fixture, of: parent) == [fixture.queue.keys.job(child)])
        #expect(try await fixture.redis.command(["ZCARD", RedisArgument(fixture.queue.keys.job(parent) + ":unsuccessful")]).int == 0)
        // Our flow, its child failed by our worker, retried by Python.
        let ours = try await FlowProducer(redis: fixture.redis).add(
            FlowNode(
                name: "parent2", queueName: fixture.queue.name,
                children: [
                    FlowNode(name: "child2", queueName: fixture.queue.name, options: JobOptions(onChildFailure: .continueParent))
                ]))
        try await fixture.withWorker(
            WorkerOptions(drainDelay: .milliseconds(100)),
            processor: { context in
                if context.job.name == "child2" { throw UnrecoverableError("child broke") }
                return nil
            }
        ) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(ours.id) == .completed })
        }
        try await python.retry(ours.children[0].id)
        #expect(try await dependencies(fixture, of: ours.id) == [fixture.queue.keys.job(ours.children[0].id)])
        #expect(try await fixture.queue.failedChildren(of: ours.id).isEmpty)
        try await fixture.close()
    }
}

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
        try await QueueFixture.with { fixture in
            let flow = try await fixture.addFlow(children: [fixture.node(options: JobOptions(removeOnFail: .remove(true)))])
            try await fixture.work(until: flow.id, is: .completed) { _ in "parent ran" }
            #expect(try await fixture.queue.getJob(flow.children[0].id) == nil)
            #expect(
                try await fixture.events().contains { $0.name == "waiting" && $0.jobId == flow.id && $0.fields["prev"] == "waiting-children" })
        }
    }

    @Test func pythonsFlowIsReleasedWhenOurWorkerDeletesTheFailedChild() async throws {
        try await QueueFixture.with { fixture in
            let python = try PythonBullMQ(fixture)
            let flow = try await fixture.addPythonFlow(python, childOptions: ["removeOnFail": true])
            try await fixture.work(until: flow.parent, is: .completed) { _ in "parent ran" }
            #expect(try await python.jobs([flow.parent])[flow.parent]?["state"] == "completed")
        }
    }

    @Test func ourFlowIsReleasedWhenAPythonWorkerDeletesTheFailedChild() async throws {
        try await QueueFixture.with { fixture in
            let flow = try await fixture.addFlow(children: [fixture.node(options: JobOptions(removeOnFail: .remove(true)))])
            // The Python worker fails both: the child (deleted), then the parent it released.
            #expect(try await PythonBullMQ(fixture).work("fail", count: 2, seconds: 20) == 2)
            #expect(try await fixture.queue.getJobState(flow.id) == .failed)
            #expect(try await fixture.queue.getJob(flow.children[0].id) == nil)
        }
    }

    @Test func aRetriedChildIsItsParentsDependencyAgain() async throws {
        try await QueueFixture.with { fixture in
            let flow = try await fixture.addFlow(children: [fixture.node(options: JobOptions(onChildFailure: .ignore))])
            let child = flow.children[0].id
            let childKey = fixture.queue.keys.job(child)
            try await fixture.work(until: flow.id, is: .completed)
            #expect(try await fixture.queue.failedChildren(of: flow.id)[childKey] == "child broke")
            try await fixture.queue.retryJob(child)
            #expect(try await dependencies(fixture, of: flow.id) == [childKey])
            #expect(try await fixture.queue.failedChildren(of: flow.id).isEmpty)
        }
    }

    @Test func retriedChildrenRejoinTheirParentsAcrossPythonAndUs() async throws {
        try await QueueFixture.with { fixture in
            let python = try PythonBullMQ(fixture)
            // Python's flow, its child failed by a Python worker, retried by us.
            let pythonFlow = try await fixture.addPythonFlow(python, childOptions: ["failParentOnFailure": true])
            #expect(try await python.work("fail", count: 2, seconds: 20) == 2)  // the child, then the parent it failed
            try await fixture.queue.retryJob(pythonFlow.child)
            #expect(try await dependencies(fixture, of: pythonFlow.parent) == [fixture.queue.keys.job(pythonFlow.child)])
            let unsuccessful = RedisArgument(fixture.queue.keys.job(pythonFlow.parent) + ":unsuccessful")
            #expect(try await fixture.redis.command(["ZCARD", unsuccessful]).int == 0)
            // Our flow, its child failed by our worker, retried by Python.
            let ours = try await fixture.addFlow("parent2", children: [fixture.node("child2", options: JobOptions(onChildFailure: .continueParent))])
            try await fixture.work(until: ours.id, is: .completed, failing: "child2")
            try await python.retry(ours.children[0].id)
            #expect(try await dependencies(fixture, of: ours.id) == [fixture.queue.keys.job(ours.children[0].id)])
            #expect(try await fixture.queue.failedChildren(of: ours.id).isEmpty)
        }
    }
}

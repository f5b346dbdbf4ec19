import Foundation
@testable import JobQueue
@testable import RedisClient
import Synchronization
import TestSupport
import Testing

/// Queues on a Redis Cluster: each queue's keys share its hash tag, queues spread over masters.
@Suite struct ClusterQueueTests {
    @Test func keysOfAQueueShareOneHashTagOnACluster() throws {
        let keys = try QueueKeys(prefix: "bull", queueName: "backup-queue", hashTagged: true)
        #expect(keys.base == "bull:{backup-queue}:")
        #expect(Set(keys.scriptKeys.map { RedisHashSlot.slot(of: $0.bytes) }).count == 1)
        #expect(RedisHashSlot.slot(of: keys.job("42") + ":lock") == RedisHashSlot.slot(of: keys.key("wait")))
        // A name that already has a tag keeps it, so queues can share a slot on purpose.
        #expect(try QueueKeys(queueName: "{flows}-child", hashTagged: true).base == "bull:{flows}-child:")
        #expect(try QueueKeys(queueName: "backup-queue").base == "bull:backup-queue:")
    }

    @Test(.exclusive) func queuesOnDifferentMastersAreProcessedByTheirWorkers() async throws {
        let fixture = try await ClusterFixture()
        #expect(fixture.queues.count == 3)
        var masters: Set<RedisEndpoint> = []
        for queue in fixture.queues { masters.insert(try await fixture.master(of: queue)) }
        #expect(masters.count == 3, "one queue per master")
        let done = Mutex<[String: Int]>([:])
        let workers = fixture.queues.map { queue in
            Worker(queue: queue, options: WorkerOptions(concurrency: 4), logger: queueLogger()) { context in
                done.withLock { $0[queue.name + "/" + context.job.id, default: 0] += 1 }
                return ["queue": .string(queue.name)]
            }
        }
        let running = workers.map { worker in Task { try await worker.runUntilClosed() } }
        var expected: Set<String> = []
        for queue in fixture.queues {
            for index in 0..<20 { expected.insert(queue.name + "/" + (try await queue.add("one", data: ["i": .int(Int64(index))])).id) }
            let bulk = try await queue.addBulk((0..<30).map { _ in (name: "bulk", data: .object([:]), options: JobOptions()) })
            for result in bulk { expected.insert(queue.name + "/" + result.id) }
            expected.insert(queue.name + "/" + (try await queue.add("later", options: JobOptions(delay: 300))).id)
        }
        #expect(try await eventually(timeout: .seconds(30)) { done.withLock { Set($0.keys) } == expected })
        for queue in fixture.queues {
            #expect(try await queue.getJobCounts([.completed])[.completed] == 51)
            #expect(try await queue.workerCount() == 1)
        }
        let (job, state) = try #require(try await Queue.findJob(expected.sorted()[0].split(separator: "/")[1].description, in: fixture.queues).map { ($0.job, $0.state) })
        #expect(state == .completed && !job.id.isEmpty)
        for worker in workers { worker.close() }
        for task in running { try await task.value }
        #expect(done.withLock { $0.values.allSatisfy { $0 == 1 } })
        try await fixture.close()
    }

    @Test(.exclusive) func eventsAndFlowsWithASharedHashTag() async throws {
        let fixture = try await ClusterFixture(queueCount: 1)
        let tag = "{" + TestEnvironment.uniqueName("flow") + "}"
        let parentQueue = try Queue(name: tag + "-parent", redis: fixture.redis)
        let childQueue = try Queue(name: tag + "-child", redis: fixture.redis)
        let flow = try await FlowProducer(redis: fixture.redis).add(
            FlowNode(
                name: "parent", queueName: parentQueue.name,
                children: [
                    FlowNode(name: "child", queueName: childQueue.name)
                ]))
        let workers = [parentQueue, childQueue].map { queue in
            Worker(queue: queue, logger: queueLogger()) { _ in .string(queue.name) }
        }
        let running = workers.map { worker in Task { try await worker.runUntilClosed() } }
        #expect(try await eventually(timeout: .seconds(20)) { try await parentQueue.getJobState(flow.id) == .completed })
        #expect(try await parentQueue.childrenValues(of: flow.id).count == 1)
        let events = QueueEvents(queue: parentQueue)
        let listener = events.makeListener()
        let seen = try await events.wait(after: "0-0", on: listener, timeout: .milliseconds(200))
        #expect(seen.contains { $0.name == "completed" })
        await listener.close()
        for worker in workers { worker.close() }
        for task in running { try await task.value }
        for queue in [parentQueue, childQueue] { try await queue.obliterate(force: true) }
        try await fixture.close()
    }
}

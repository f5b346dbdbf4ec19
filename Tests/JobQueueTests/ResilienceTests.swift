import BlockingIO
import Foundation
@testable import JobQueue
import Logging
import RedisClient
import TestSupport
import Testing

@Suite struct ResilienceTests {
    @Test func workerSurvivesARedisRestart() async throws {
        // A Redis of this test's own, so restarting it disturbs no other suite.
        let port = "6398"
        let state = NSTemporaryDirectory() + "/medicineman-queue-redis"
        try TestEnvironment.services(["start", "redis", state, port])
        defer { _ = try? TestEnvironment.services(["stop", "redis", state, port]) }
        let redis = RedisConnectionPool(
            configuration: try RedisConfiguration(url: "redis://127.0.0.1:\(port)/0"),
            options: .init(maxConnections: 8), logger: queueLogger())
        let queue = try Queue(name: TestEnvironment.uniqueName("restart"), redis: redis)
        let done = Recorder<String>()
        let worker = Worker(queue: queue, options: WorkerOptions(drainDelay: .milliseconds(200)), logger: queueLogger()) { context in
            done.append(context.job.name)
            return nil
        }
        let running = Task { try await worker.runUntilClosed() }
        try await queue.add("before")
        #expect(try await eventually { done.values == ["before"] })
        try TestEnvironment.services(["restart", "redis", state, port])
        // The first commands after the restart fail and are retried; the job is not lost.
        #expect(try await eventually(timeout: .seconds(10), every: .milliseconds(100)) { (try? await queue.add("after")) != nil })
        #expect(try await eventually(timeout: .seconds(15)) { done.values.contains("after") })
        worker.close()
        try await running.value
        await redis.close()
    }

    @Test func customBackoffStrategyDecidesTheDelay() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("custom", options: JobOptions(attempts: 3, backoff: .init(type: "linear-50", delay: 0)))
        let retries = Recorder<Int>()
        let options = WorkerOptions(backoffStrategies: [
            "linear-50": { retry, _, _ in
                retries.append(retry)
                return retry * 50
            }
        ])
        try await fixture.withWorker(options, processor: { _ in throw RetryableFailure(message: "again") }) { _ async throws in
            #expect(try await eventually { try await fixture.queue.getJobState(added.id) == .failed })
        }
        #expect(retries.values == [1, 2])
        #expect(try await fixture.queue.getJob(added.id)?.attemptsMade == 3)
        try await fixture.close()
    }

    @Test func eventsResumeFromTheLastSeenId() async throws {
        let fixture = try QueueFixture()
        let events = QueueEvents(queue: fixture.queue)
        let start = try await events.latestId()
        try await fixture.queue.add("one")
        let first = try await events.read(after: start)
        #expect(first.map(\.name) == ["added", "waiting"])
        let name = TestEnvironment.uniqueName("listener")
        let listener = fixture.redis.makeDedicatedConnection(clientName: name)
        let lastSeen = try #require(first.last?.id)
        async let waited = events.wait(after: lastSeen, on: listener, timeout: .seconds(30))
        // The listener is blocked on the stream before the job that ends its wait is added.
        #expect(try await eventually { RedisClientList.isBlocked(try await fixture.clientList(), name: name, in: "xread") })
        try await fixture.queue.add("two")
        let second = try await waited
        #expect(second.first?.name == "added" && second.first?.jobId == "2")
        await listener.close()
        try await fixture.close()
    }
}

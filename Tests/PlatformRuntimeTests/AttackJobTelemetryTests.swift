import BlockingIO
import Foundation
import InMemoryTracing
import JobQueue
import JSONSupport
import Logging
import RedisClient
import TestSupport
import Testing
import Tracing

/// `opts.telemetry` is written by whichever client added the job: whatever it holds, the job runs
/// and its attempt starts a trace of its own instead of joining a forged one.
@Suite struct AttackJobTelemetryTests {
    static let forged: [String] = [
        #"{"telemetry":"not an object"}"#,
        #"{"telemetry":{"metadata":"not json at all"}}"#,
        #"{"telemetry":{"metadata":"[1,2,3]"}}"#,
        #"{"telemetry":{"metadata":"{\"in-memory-trace-id\":5,\"in-memory-span-id\":[\"x\"]}"}}"#,
        #"{"telemetry":{"metadata":{"in-memory-trace-id":{"nested":true}}}}"#,
        #"{"telemetry":{"omitContext":"yes","metadata":7}}"#,
        #"{"telemetry":{"metadata":""# + String(repeating: "[", count: 100_000) + #""}}"#,
        #"{"telemetry":null}"#,
        #"{"tm":"not json at all"}"#,
        #"{"tm":{"in-memory-trace-id":{"nested":true}},"omc":"yes"}"#,
        #"{"tm":7,"omc":null,"telemetry":{"metadata":"[1]"}}"#,
    ]

    @Test func forgedTelemetryNeitherStopsAJobNorJoinsATrace() async throws {
        let logger = testLogger("test.telemetry.attack", level: .critical)
        let redis = try TestEnvironment.redisPool(logger: logger)
        let queue = try Queue(name: "forged-queue", prefix: TestEnvironment.uniqueName("mmforged"), redis: redis)
        for (index, options) in Self.forged.enumerated() {
            let added = try await queue.add("job-\(index)", data: ["n": .int(Int64(index))])
            // Rewritten in place, as a client of its own would have stored it.
            _ = try await redis.command(["HSET", RedisArgument(queue.keys.key(added.id)), "opts", RedisArgument(options)])
        }
        let tracer = InMemoryTracer()
        let worker = Worker(queue: queue, options: WorkerOptions(concurrency: 4, drainDelay: .milliseconds(200), tracer: tracer), logger: logger) { _ in
            .null
        }
        let running = Task { try await worker.runUntilClosed() }
        _ = try await eventually(timeout: .seconds(30), every: .milliseconds(50)) {
            try await queue.getJobCounts()[.completed, default: 0] >= Self.forged.count
        }
        let completed = try await queue.getJobCounts()[.completed, default: 0]
        worker.close()
        try await running.value
        try? await queue.obliterate(force: true)
        await redis.close()

        #expect(completed == Self.forged.count)
        let attempts = tracer.finishedSpans.filter { $0.operationName == "process forged-queue" }
        #expect(attempts.count == Self.forged.count)
        #expect(attempts.allSatisfy { $0.parentSpanID == nil }, "a forged context was followed")
        #expect(Set(attempts.map(\.traceID)).count == Self.forged.count)
    }
}

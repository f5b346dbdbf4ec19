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

/// BullMQ v6's `opts.telemetry` carries the producer's trace context, and a worker's attempt
/// span continues it.
@Suite struct JobTracingTests {
    static let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    @Test func telemetryOptionHasBullMQsShape() throws {
        let carrier = JSONValue.object(["traceparent": .string(Self.traceparent)]).jsonText
        // BullMQ stores `telemetry.metadata` as `tm` and `omitContext` as `omc` (redis-queue-backend's optsAsJSON).
        let written = JobOptions(json: ["attempts": 3, "tm": .string(carrier)])
        #expect(written.telemetry?.metadata == carrier)
        #expect(written.extra["tm"] == nil && written.extra["telemetry"] == nil)
        #expect(written.json["tm"]?.stringValue == carrier && written.json["telemetry"] == nil)
        #expect(written.json["omc"] == nil)
        // The public shape, from a client that wrote it so, is read too (and stored the short way).
        let long = JobOptions(json: ["telemetry": ["metadata": .string(carrier)]])
        #expect(long.telemetry?.metadata == carrier && long.json["tm"]?.stringValue == carrier)
        // bullmq-otel releases that store the carrier object itself are read too.
        let object = JobOptions(json: ["telemetry": ["metadata": ["traceparent": .string(Self.traceparent)]]])
        let read = try JSONValue(jsonText: object.telemetry?.metadata ?? "")
        #expect(read["traceparent"]?.stringValue == Self.traceparent)
        // A producer that opted out is not followed.
        let omitted = JobOptions(json: ["tm": .string(carrier), "omc": true])
        #expect(omitted.telemetry?.context(using: InMemoryTracer()) == nil)
        #expect(omitted.json["omc"] == true)
        // Nothing to carry: no span, or the no-op tracer.
        #expect(JobTelemetry.current(using: InMemoryTracer()) == nil)
        let noOp = NoOpTracer().withAnySpan("request") { _ in JobTelemetry.current(using: NoOpTracer()) }
        #expect(noOp == nil)
    }

    @Test func anAttemptContinuesTheTraceThatAddedTheJob() async throws {
        let logger = testLogger("test.tracing", level: .critical)
        let redis = try TestEnvironment.redisPool(logger: logger)
        let queue = try Queue(name: "trace-queue", prefix: TestEnvironment.uniqueName("mmtrace"), redis: redis)
        let tracer = InMemoryTracer()
        let (jobId, producer) = try await tracer.withAnySpan("POST /api/servers/:id/backup", ofKind: .server) { span in
            var options = JobOptions()
            options.telemetry = JobTelemetry.current(using: tracer)
            let added = try await queue.add("scan:full", data: ["recordId": "r-1"], options: options)
            return (added.id, span.context.inMemorySpanContext)
        }
        let stored = try await queue.getJob(jobId)
        #expect(stored?.options.telemetry?.metadata?.contains(producer?.traceID ?? "?") == true)

        let worker = Worker(queue: queue, options: WorkerOptions(drainDelay: .milliseconds(200), tracer: tracer), logger: logger) { _ in
            // Work the job does runs inside the attempt's span.
            tracer.withAnySpan("ssh exec", ofKind: .client) { _ in }
            return .null
        }
        let running = Task { try await worker.runUntilClosed() }
        _ = try await eventually(timeout: .seconds(20), every: .milliseconds(50)) {
            tracer.finishedSpans.contains { $0.operationName == "process trace-queue" }
        }
        worker.close()
        try await running.value
        try? await queue.obliterate(force: true)
        await redis.close()

        let spans = tracer.finishedSpans
        let attempt = spans.first { $0.operationName == "process trace-queue" }
        let step = spans.first { $0.operationName == "ssh exec" }
        #expect(attempt?.kind == .consumer)
        #expect(attempt?.traceID == producer?.traceID)
        #expect(attempt?.parentSpanID == producer?.spanID)
        #expect(attempt?.attributes.get("bullmq.job.name") == .string("scan:full"))
        #expect(step?.traceID == producer?.traceID)
        #expect(step?.parentSpanID == attempt?.spanID)
    }
}

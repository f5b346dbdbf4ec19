import ErrorCodes
package import Foundation
package import JobQueue
import Records
package import RedisClient
package import Tracing

/// Enqueues the job for a record; the job id is the record's id, so enqueueing the same record
/// twice creates one job.
package struct ServerJobDispatcher: Sendable {
    let queues: [String: Queue]
    package let jobOptions: JobOptions
    /// Told of each job added (for metrics).
    let onEnqueued: @Sendable (ServerJobName) -> Void
    /// Serializes the caller's trace context into each job's `telemetry`, as BullMQ does.
    let tracer: any Tracer

    package init(
        redis: RedisConnectionPool, prefix: String = "bull", jobOptions: JobOptions = ServerJobQueue.defaultJobOptions,
        onEnqueued: @escaping @Sendable (ServerJobName) -> Void = { _ in }, tracer: any Tracer = NoOpTracer()
    ) throws {
        var queues: [String: Queue] = [:]
        for definition in ServerJobQueue.all {
            queues[definition.name] = try Queue(name: definition.name, prefix: prefix, redis: redis)
        }
        self.queues = queues
        self.jobOptions = jobOptions
        self.onEnqueued = onEnqueued
        self.tracer = tracer
    }

    package func queue(_ definition: ServerJobQueue) -> Queue? { queues[definition.name] }

    /// The three queues, in `ServerJobQueue.all`'s order.
    package var allQueues: [Queue] { ServerJobQueue.all.compactMap { queues[$0.name] } }

    @discardableResult
    package func enqueue(
        _ name: ServerJobName, recordId: UUID, serverId: UUID? = nil, jobId: String? = nil,
        payload: ServerJobPayload? = nil
    ) async throws -> String {
        guard let queue = queues[name.queue.name] else { throw JobQueueError(.invalidOptions, "no queue for \(name.rawValue)") }
        var options = jobOptions
        options.jobId = jobId ?? recordId.lowercasedString
        if options.telemetry == nil { options.telemetry = JobTelemetry.current(using: tracer) }
        let body = payload ?? ServerJobPayload(recordId: recordId.lowercasedString, serverId: serverId?.lowercasedString)
        let added = try await queue.add(name.rawValue, data: try JSONValue(encoding: body), options: options)
        if added.outcome == .added { onEnqueued(name) }
        return added.id
    }
}

import ErrorCodes
import Foundation
package import Hummingbird
package import JobQueue
import JSONSupport
package import Records
import RedisClient

/// `/api/jobs` and `/api/metrics/queues`: read, retry, promote and remove jobs of the platform's queues.
package struct JobsController: Sendable {
    let queues: [Queue]
    /// Job lookups arriving together share one pipeline.
    let lookups: RedisScriptBatcher?
    /// The process's live event streams.
    let eventStreams: JobEventHub
    /// Where retries, promotions and removals are recorded.
    let audit: AuditLogRepository?

    package init(queues: [Queue], eventStreams: JobEventHub = JobEventHub(), audit: AuditLogRepository? = nil) {
        self.queues = queues
        self.eventStreams = eventStreams
        self.audit = audit
        lookups = queues.first.map { RedisScriptBatcher(pool: $0.redis) }
    }

    package func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.get("jobs", use: list)
        group.get("jobs/stats/all", use: stats)
        group.get("jobs/:id", use: show)
        group.get("jobs/:id/events", use: events)
        group.delete("jobs/:id", use: remove)
        group.post("jobs/:id/retry", use: retry)
        group.post("jobs/:id/promote", use: promote)
        group.get("metrics/queues", use: metrics)
    }

    /// How many job ids one listing may read in all, over the queues and states it lists.
    package static let listingBudget = 12_000

    package static let listableStates: [String: JobState] = [
        "waiting": .waiting, "wait": .waiting, "active": .active, "completed": .completed, "failed": .failed,
        "delayed": .delayed, "prioritized": .prioritized, "paused": .paused, "waiting-children": .waitingChildren,
    ]

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JobList> {
        _ = try context.require(.viewer)
        let parameters = request.uri.queryParameters
        let limit = try Self.integer(parameters["limit"].map(String.init), name: "limit", default: 50, range: 1...200)
        let offset = try Self.integer(parameters["offset"].map(String.init), name: "offset", default: 0, range: 0...Self.listingBudget)
        let list = try await jobs(
            queue: parameters["queue"].map(String.init), state: parameters["state"].map(String.init),
            name: parameters["name"].map(String.init), serverId: parameters["serverId"].map(String.init),
            limit: limit, offset: offset)
        return APISuccess("\(list.count) job(s)", list)
    }

    /// Jobs of the queues, newest first, filtered as `GET /api/jobs` filters them (the dashboard lists them the same way).
    package func jobs(
        queue: String?, state: String?, name nameFilter: String?, serverId serverFilter: String?,
        limit: Int, offset: Int
    ) async throws -> JobList {
        var selected = queues
        if let name = queue {
            selected = queues.filter { $0.name == name }
            guard !selected.isEmpty else {
                throw APIError.validation("queue", "queue must be one of \(queues.map(\.name).joined(separator: ", "))")
            }
        }
        var states = [JobState.active, .waiting, .prioritized, .delayed, .completed, .failed]
        if let state {
            guard let parsed = Self.listableStates[state] else {
                throw APIError.validation("state", "state must be one of \(Self.listableStates.keys.sorted().joined(separator: ", "))")
            }
            states = [parsed]
        }
        if let serverFilter, UUID(uuidString: serverFilter) == nil { throw APIError.validation("serverId", "serverId must be a UUID") }
        // Each queue and state listed is read to offset + limit before the merge; the reads are bounded in all.
        let depth = Self.listingBudget / (selected.count * states.count)
        guard offset + limit <= depth else {
            throw APIError.validation(
                "offset",
                "offset + limit must be at most \(depth) for this listing (\(selected.count) queue(s) × \(states.count) state(s)); "
                    + "name one queue and one state to page deeper")
        }
        // First the ids and what sorting and filtering need, then the page's jobs in full.
        let fields = ["timestamp", "name"] + (serverFilter == nil ? [] : ["data"])
        var candidates: [(queue: Queue, state: JobState, id: String, timestamp: Int)] = []
        var total = 0
        for queue in selected {
            let counts = try await queue.getJobCounts(states)
            total += counts.values.reduce(0, +)
            for state in states {
                let ids = try await queue.getJobIds(state, start: 0, end: offset + limit - 1)
                for (id, values) in zip(ids, try await queue.jobFields(fields, of: ids)) {
                    guard let timestamp = values[0].flatMap({ Int($0) }) else { continue }  // gone meanwhile
                    if let nameFilter, values[1] != nameFilter { continue }
                    if let serverFilter {
                        let serverId = values[2].flatMap { try? JSONValue(jsonText: $0) }?["serverId"]?.stringValue
                        guard serverId?.lowercased() == serverFilter.lowercased() else { continue }
                    }
                    candidates.append((queue, state, id, timestamp))
                }
            }
        }
        candidates.sort { ($0.timestamp, $0.id) > ($1.timestamp, $1.id) }
        let shown = Array(candidates.dropFirst(offset).prefix(limit))
        var read: [String: Job] = [:]  // by queue and id, one pipeline a queue
        for queue in selected {
            let ids = shown.filter { $0.queue.name == queue.name }.map(\.id)
            for job in try await queue.jobs(withIds: ids) { read[queue.name + "\n" + job.id] = job }
        }
        // A job removed between the reads is left out.
        let page = shown.compactMap { candidate in read[candidate.queue.name + "\n" + candidate.id].map { JobResource($0, state: candidate.state) } }
        return JobList(jobs: page, count: page.count, total: total, limit: limit, offset: offset)
    }

    @Sendable func show(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JobResource> {
        _ = try context.require(.viewer)
        let (_, job, state) = try await find(try context.parameters.require("id"))
        return APISuccess("job \(job.id)", JobResource(job, state: state))
    }

    @Sendable func events(_ request: Request, context: APIRequestContext) async throws -> Response {
        let identity = try context.require(.viewer)
        let (queue, job, _) = try await find(try context.parameters.require("id"))
        return try await JobEventStream(
            queue: queue, jobId: job.id, hub: eventStreams, userId: identity.userId, credentialCheck: context.credentialCheck, channel: context.channel
        ).response()
    }

    @Sendable func remove(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let identity = try context.require(.operator)
        let (queue, job, state) = try await find(try context.parameters.require("id"))
        if state == .active {
            throw APIError(.conflict, code: "job_active", "job \(job.id) is running; it can be removed once it has finished")
        }
        do {
            try await queue.remove(job.id)
        } catch let error as JobQueueError where error.code == .schedulerIteration {
            throw APIError(
                .conflict, code: "job_scheduler_iteration",
                "job \(job.id) is the next run of a job scheduler; change or delete its schedule instead")
        }
        try await audit?.record(identity, "job.remove", resource: job.id, Self.auditDetails(queue, job, state))
        return APISuccess("job \(job.id) removed", ["id": .string(job.id)])
    }

    @Sendable func retry(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JobResource> {
        let identity = try context.require(.operator)
        let (queue, job, state) = try await find(try context.parameters.require("id"))
        guard state == .failed else {
            throw APIError(.conflict, code: "job_not_failed", "only failed jobs can be retried; job \(job.id) has not failed")
        }
        try await queue.retryJob(job.id, resetAttempts: true)
        try await audit?.record(identity, "job.retry", resource: job.id, Self.auditDetails(queue, job, state))
        let (_, updated, newState) = try await find(job.id)
        return APISuccess("job \(job.id) queued again", JobResource(updated, state: newState))
    }

    @Sendable func promote(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JobResource> {
        let identity = try context.require(.operator)
        let (queue, job, state) = try await find(try context.parameters.require("id"))
        guard state == .delayed else {
            throw APIError(.conflict, code: "job_not_delayed", "only delayed jobs can be promoted; job \(job.id) is not delayed")
        }
        try await queue.promote(job.id)
        try await audit?.record(identity, "job.promote", resource: job.id, Self.auditDetails(queue, job, state))
        let (_, updated, newState) = try await find(job.id)
        return APISuccess("job \(job.id) promoted", JobResource(updated, state: newState))
    }

    /// What an audit entry says of the job: its queue, name, state before, and server when it has one.
    static func auditDetails(_ queue: Queue, _ job: Job, _ state: JobState) -> JSONValue {
        var details: [String: JSONValue] = ["queue": .string(queue.name), "name": .string(job.name), "state": .string(state.rawValue)]
        // Jobs from other producers carry what they like: only a server id of the right shape is kept.
        if let text = job.data?["serverId"]?.stringValue, let serverId = UUID(uuidString: text) { details["serverId"] = .string(serverId.lowercasedString) }
        return .object(details)
    }

    @Sendable func stats(_ request: Request, context: APIRequestContext) async throws -> APISuccess<[QueueMetrics]> {
        _ = try context.require(.viewer)
        return APISuccess("job counts per queue", try await queueMetrics())
    }

    @Sendable func metrics(_ request: Request, context: APIRequestContext) async throws -> APISuccess<[QueueMetrics]> {
        _ = try context.require(.viewer)
        return APISuccess("queue metrics", try await queueMetrics())
    }

    package func queueMetrics() async throws -> [QueueMetrics] {
        try await QueueObservation.observe(queues).map { reading in
            let counts = reading.counts
            return QueueMetrics(
                queue: reading.queue, waiting: counts[.waiting] ?? 0, active: counts[.active] ?? 0, completed: counts[.completed] ?? 0,
                failed: counts[.failed] ?? 0, delayed: counts[.delayed] ?? 0, prioritized: counts[.prioritized] ?? 0, paused: counts[.paused] ?? 0,
                total: counts.values.reduce(0, +), isPaused: reading.isPaused, workers: reading.workers, health: reading.health)
        }
    }

    /// Job ids are record uuids, unique across the queues.
    package func find(_ id: String) async throws -> (Queue, Job, JobState) {
        guard JobID.isValid(id) else {
            throw APIError.validation("id", "id is not a job id: 1 to 200 letters, digits and -_.:@, and not one of the queue's own keys")
        }
        guard let found = try await Queue.findJob(id, in: queues, batcher: lookups) else { throw APIError.notFound("job \(id)") }
        return found
    }

    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw APIError.validation(name, "\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return parsed
    }
}

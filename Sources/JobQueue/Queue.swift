public import ErrorCodes
import Foundation
import Logging
public import RedisClient

/// Producer and administration side of one BullMQ-layout queue.
public struct Queue: Sendable {
    public let keys: QueueKeys
    public let redis: RedisConnectionPool
    public let clock: JobClock
    /// `add` waits until a replica has the new job (see `RedisReplicaWait`); nil: it does not.
    public var replicaWait: RedisReplicaWait?

    public var name: String { keys.queueName }

    public init(name: String, prefix: String = "bull", redis: RedisConnectionPool, clock: JobClock = .system) throws(JobQueueError) {
        self.keys = try QueueKeys(prefix: prefix, queueName: name, hashTagged: redis.isCluster)
        self.redis = redis
        self.clock = clock
    }

    /// What `add` did.
    public struct AddResult: Sendable, Equatable {
        public enum Outcome: Int, Sendable { case added = 0, duplicate = 1, deduplicated = 2 }
        /// The id of the job now holding the slot: the new job, or the existing one.
        public var id: String
        public var outcome: Outcome
    }

    /// Adds a job; with a custom `jobId` already present, or a deduplication id in use, nothing
    /// new is created and the existing job's id comes back.
    @discardableResult
    public func add(_ name: String, data: JSONValue = .object([:]), options: JobOptions = JobOptions()) async throws -> AddResult {
        return try Self.addResult(try await redis.run(try addCall(name, data: data, options: options), on: keys, replicaWait: replicaWait))
    }

    /// Adds many jobs atomically (one MULTI/EXEC around scripts that add up to 1000 jobs each).
    public func addBulk(_ jobs: [(name: String, data: JSONValue, options: JobOptions)]) async throws -> [AddResult] {
        guard !jobs.isEmpty else { return [] }
        let script = QueueScript.addJobs
        var commands: [[RedisArgument]] = [["SCRIPT", "LOAD", RedisArgument(script.source)], ["MULTI"]]
        var start = 0
        while start < jobs.count {
            let chunk = jobs[start..<min(start + 1000, jobs.count)]
            var command: [RedisArgument] = ["EVALSHA", RedisArgument(script.sha1), RedisArgument(keys.scriptKeys.count)] + keys.scriptKeys + [RedisArgument(keys.base)]
            command.reserveCapacity(4 + chunk.count * 16)
            for job in chunk {
                command += try addCall(job.name, data: job.data, options: job.options).arguments
            }
            commands.append(command)
            start += chunk.count
        }
        commands.append(["EXEC"])
        let replies = try await redis.pipeline(commands)
        if let failure = replies.lazy.compactMap(\.errorMessage).first {
            throw RedisError(.serverError, "addBulk was not applied: \(failure)")
        }
        guard let chunks = replies.last?.array else {
            throw JobQueueError(.unexpectedReply, "addBulk transaction was discarded")
        }
        var results: [AddResult] = []
        results.reserveCapacity(jobs.count)
        for chunk in chunks {
            if let message = chunk.errorMessage { throw RedisError(.serverError, message) }
            for reply in chunk.array ?? [] { results.append(try Self.addResult(reply)) }
        }
        return results
    }

    /// Where a flow node hangs: its parent's full key and the `parent` field BullMQ stores.
    struct ParentLink: Sendable {
        var key: String
        var json: String
    }

    /// The addJob call for one job (see `QueueScript.addJobLibrary`).
    func addCall(_ name: String, data: JSONValue, options: JobOptions, parent: ParentLink? = nil, hasChildren: Bool = false) throws -> AddJobCall {
        try options.validate()
        var options = options
        let timestamp = options.timestamp ?? clock.nowMilliseconds()
        options.timestamp = nil  // stored as the hash's `timestamp`, like BullMQ's producers
        return AddJobCall(
            name: name, data: data.jsonText, options: options.json.jsonText, timestamp: timestamp, delay: options.delay,
            priority: options.priority, lifo: options.lifo, jobId: options.jobId ?? "", deduplication: options.deduplication,
            parent: parent, hasChildren: hasChildren)
    }

    static func addResult(_ reply: RESPValue) throws -> AddResult {
        if let parts = reply.array, parts.count == 2, let code = parts[1].int, code < 0 {
            switch code {
            case -5: throw JobQueueError(.jobNotFound, "the parent job does not exist")
            default: throw JobQueueError(.invalidOptions, "the job already belongs to another parent")
            }
        }
        guard let parts = reply.array, parts.count == 2, let id = parts[0].string,
            let code = parts[1].int, let outcome = AddResult.Outcome(rawValue: code)
        else {
            throw JobQueueError(.unexpectedReply, "addJob returned \(reply)")
        }
        return AddResult(id: id, outcome: outcome)
    }

    // MARK: - Reading

    public func getJob(_ id: String) async throws -> Job? {
        let reply = try await redis.command(["HGETALL", RedisArgument(keys.job(id))])
        let flat = reply.array?.compactMap(\.string) ?? []
        guard !flat.isEmpty else { return nil }
        return Job(id: id, queueName: name, flatFields: flat)
    }

    public func getJobState(_ id: String) async throws -> JobState {
        let reply = try await redis.evalScript(QueueScript.getState, keys: keys.scriptKeys, arguments: [RedisArgument(keys.base), RedisArgument(id)])
        return JobState(rawValue: try reply.throwingServerError().string ?? "") ?? .unknown
    }

    /// Counts per state, as BullMQ's `getJobCounts` reports them (`waiting` counts `wait`).
    public func getJobCounts(_ states: [JobState] = [.waiting, .active, .completed, .failed, .delayed, .prioritized, .paused, .waitingChildren]) async throws -> [JobState: Int] {
        let commands: [[RedisArgument]] = states.map { state in
            switch state {
            case .waiting: return ["LLEN", RedisArgument(keys.key("wait"))]
            case .paused: return ["LLEN", RedisArgument(keys.key("paused"))]
            case .active: return ["LLEN", RedisArgument(keys.key("active"))]
            case .unknown: return ["PING"]
            default: return ["ZCARD", RedisArgument(keys.key(state.rawValue))]
            }
        }
        let replies = try await redis.pipeline(commands)
        var counts: [JobState: Int] = [:]
        for (state, reply) in zip(states, replies) where state != .unknown {
            counts[state] = reply.int ?? 0
        }
        return counts
    }

    public func childrenValues(of id: String) async throws -> [String: JSONValue] {
        try await hashFields(keys.job(id) + ":processed").mapValues { (try? JSONValue(jsonText: $0)) ?? .string($0) }
    }

    public func failedChildren(of id: String) async throws -> [String: String] {
        try await hashFields(keys.job(id) + ":failed")
    }

    private func hashFields(_ key: String) async throws -> [String: String] {
        let flat = try await redis.command(["HGETALL", RedisArgument(key)]).array?.compactMap(\.string) ?? []
        return Job.fieldMap(flat)
    }

    /// When the job that has waited longest was added (ms), if any job waits: two O(1) reads.
    public func oldestWaitingTimestamp() async throws -> Int? {
        guard let id = try await redis.command(["LINDEX", RedisArgument(keys.key("wait")), -1]).string else { return nil }
        return try await redis.command(["HGET", RedisArgument(keys.job(id)), "timestamp"]).int
    }

    /// The token holding an active job's lock, if any.
    public func lockOwner(of id: String) async throws -> String? {
        try await redis.command(["GET", RedisArgument(keys.job(id) + ":lock")]).string
    }

    public func getLogs(_ id: String, start: Int = 0, end: Int = -1) async throws -> [String] {
        try await redis.command(["LRANGE", RedisArgument(keys.job(id) + ":logs"), RedisArgument(start), RedisArgument(end)])
            .array?.compactMap(\.string) ?? []
    }
}

import ErrorCodes
import RedisClient

/// BullMQ's queue metrics of one kind of finished job (`metrics:completed` / `metrics:failed`),
/// written by workers that enable metrics.
public struct JobMetrics: Sendable, Equatable {
    /// Jobs finished so far.
    public var count: Int
    /// When the last per-minute sample was taken (ms), and the count then.
    public var sampledAt: Int
    public var countAtSample: Int
    /// Jobs finished per minute, newest first.
    public var perMinute: [Int]
    /// Samples kept in all (`perMinute` may be a window of them).
    public var samples: Int
}

extension Queue {
    /// Gives a job a new priority (0: none). A job still waiting moves to its new place; with
    /// `lifo` it goes ahead of the jobs of the same priority.
    public func changePriority(_ id: String, priority: Int, lifo: Bool = false) async throws {
        guard (0...2_097_151).contains(priority) else {
            throw JobQueueError(.invalidOptions, "priority must be 0...2097151, got \(priority)")
        }
        let code =
            try await redis.evalScript(
                QueueScript.changePriority, keys: keys.scriptKeys,
                arguments: [
                    RedisArgument(keys.base), RedisArgument(id), RedisArgument(priority), lifo ? "1" : "0",
                ]
            ).throwingServerError().int ?? 0
        if code < 0 { throw JobQueueError.scriptCode(code, jobId: id, operation: "changePriority") }
    }

    /// Gives a delayed job a new delay in ms, counted from now.
    public func changeDelay(_ id: String, delay: Int) async throws {
        guard delay >= 0 else { throw JobQueueError(.invalidOptions, "delay must not be negative, got \(delay)") }
        let code =
            try await redis.evalScript(
                QueueScript.changeDelay, keys: keys.scriptKeys,
                arguments: [
                    RedisArgument(keys.base), RedisArgument(id), RedisArgument(delay), RedisArgument(clock.nowMilliseconds()),
                ]
            ).throwingServerError().int ?? 0
        if code < 0 { throw JobQueueError.scriptCode(code, jobId: id, operation: "changeDelay (delayed jobs only)") }
    }

    /// The metrics workers record when `WorkerOptions.metrics` is set; `start`/`end` index the
    /// per-minute samples (newest first, inclusive, -1 the last).
    public func getMetrics(_ state: JobState, start: Int = 0, end: Int = -1) async throws -> JobMetrics {
        guard state == .completed || state == .failed else {
            throw JobQueueError(.invalidOptions, "metrics exist for completed and failed jobs only")
        }
        let reply = try await redis.evalScript(
            QueueScript.getMetrics, keys: keys.scriptKeys,
            arguments: [
                RedisArgument(keys.base), RedisArgument(state.rawValue), RedisArgument(start), RedisArgument(end),
            ]
        ).throwingServerError()
        guard let parts = reply.array, parts.count == 3 else { throw JobQueueError(.unexpectedReply, "getMetrics returned \(reply)") }
        let meta = (parts[0].array ?? []).map { $0.string.flatMap { Int($0) } ?? 0 }
        return JobMetrics(
            count: meta.first ?? 0, sampledAt: meta.count > 1 ? meta[1] : 0, countAtSample: meta.count > 2 ? meta[2] : 0,
            perMinute: (parts[1].array ?? []).map { $0.string.flatMap { Int($0) } ?? 0 }, samples: parts[2].int ?? 0)
    }

    /// The library and version that last announced itself in `meta.version` (our workers write
    /// `BullMQLayout.metaVersion`; BullMQ's Node queues write theirs).
    public func version() async throws -> String? {
        try await redis.command(["HGET", RedisArgument(keys.key("meta")), "version"]).string
    }
}

import RedisClient

extension Queue {
    /// Jobs in the given states, newest first unless `ascending`; `start`/`end` index the
    /// combined list like Redis ranges (inclusive, -1 is the last).
    public func getJobs(_ states: [JobState], start: Int = 0, end: Int = -1, ascending: Bool = false) async throws -> [Job] {
        // A place at or before `end` of the combined list is within the first `end + 1` of its state.
        let stateEnd = start >= 0 && end >= 0 ? end : -1
        var ids: [String] = []
        for state in states { ids += try await getJobIds(state, start: 0, end: stateEnd, ascending: ascending) }
        let lower = max(0, start < 0 ? ids.count + start : start)
        let upper = min(ids.count - 1, end < 0 ? ids.count + end : end)
        guard lower <= upper else { return [] }
        return try await jobs(withIds: Array(ids[lower...upper]))
    }

    /// The ids of the jobs in `state`, newest first unless `ascending`; `start`/`end` as Redis
    /// ranges take them, so only the range is read.
    public func getJobIds(_ state: JobState, start: Int = 0, end: Int = -1, ascending: Bool = false) async throws -> [String] {
        let key = RedisArgument(keys.key(state == .waiting ? "wait" : state.rawValue))
        switch state {
        case .unknown:
            return []
        case .waiting, .active, .paused:
            // LPUSH puts the newest on the left: place i from the oldest is index -(i + 1).
            guard ascending else { return try await redis.command(["LRANGE", key, RedisArgument(start), RedisArgument(end)]).array?.compactMap(\.string) ?? [] }
            let reply = try await redis.command(["LRANGE", key, RedisArgument(-(end + 1)), RedisArgument(-(start + 1))])
            return (reply.array?.compactMap(\.string) ?? []).reversed()
        default:
            return try await redis.command([RedisArgument(ascending ? "ZRANGE" : "ZREVRANGE"), key, RedisArgument(start), RedisArgument(end)]).array?.compactMap(\.string) ?? []
        }
    }

    /// The jobs of `ids` in that order, in one pipeline; an id whose job is gone is left out.
    public func jobs(withIds ids: [String]) async throws -> [Job] {
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(ids.map { ["HGETALL", RedisArgument(keys.job($0))] })
        return zip(ids, replies).compactMap { id, reply in
            let flat = reply.array?.compactMap(\.string) ?? []
            return flat.isEmpty ? nil : Job(id: id, queueName: name, flatFields: flat)
        }
    }

    /// `fields` of each job of `ids`, in one pipeline (nil where a field or the job is missing):
    /// enough to sort and filter many jobs before reading the few shown in full.
    public func jobFields(_ fields: [String], of ids: [String]) async throws -> [[String?]] {
        guard !ids.isEmpty else { return [] }
        let names = fields.map { RedisArgument($0) }
        let replies = try await redis.pipeline(ids.map { id in ["HMGET", RedisArgument(keys.job(id))] + names })
        return replies.map { reply in
            let values = reply.array ?? []
            return fields.indices.map { $0 < values.count ? values[$0].string : nil }
        }
    }
}

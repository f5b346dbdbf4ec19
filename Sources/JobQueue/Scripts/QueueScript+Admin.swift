import RedisClient

extension QueueScript {
    /// ARGV: P, "pause"|"resume", emit the event (0/1, default 1). Pausing keeps jobs in wait and
    /// sets `meta.paused` (BullMQ v6). Resuming moves a legacy `paused` list (a BullMQ v5 peer
    /// paused the queue) to the head of wait, keeping its order, at most 7000 jobs per call.
    /// Returns how many jobs the legacy list still holds (the caller calls again until 0).
    static let pause = make(
        "pause",
        #"""
        local P, action, announce = ARGV[1], ARGV[2], ARGV[3] ~= "0"
        local remaining = 0
        if action == "pause" then
          redis.call("HSET", P .. "meta", "paused", 1)
          redis.call("DEL", P .. "marker")
        else
          redis.call("HDEL", P .. "meta", "paused")
          if redis.call("EXISTS", P .. "paused") == 1 then
            if redis.call("EXISTS", P .. "wait") == 0 then
              redis.call("RENAME", P .. "paused", P .. "wait")
            else
              -- The paused list's right end is its head; appended on the right of wait, in order, the
              -- batch runs first, and each later (older) batch lands ahead of it.
              local batch = redis.call("LRANGE", P .. "paused", 0, 6999)
              redis.call("RPUSH", P .. "wait", unpack(batch))
              redis.call("LTRIM", P .. "paused", #batch, -1)
              remaining = redis.call("LLEN", P .. "paused")
            end
          end
          if redis.call("LLEN", P .. "wait") + redis.call("ZCARD", P .. "prioritized") > 0 then
            redis.call("ZADD", P .. "marker", 0, "0")
          else
            markNextDelayed(P)
          end
        end
        if announce then emit(P, maxEvents(P), "event", action == "pause" and "paused" or "resumed") end
        return remaining
        """#)

    /// ARGV: P, id. Returns 0, -1 (no job) or -3 (not delayed).
    static let promote = make(
        "promote",
        #"""
        local P, id = ARGV[1], ARGV[2]
        if redis.call("EXISTS", P .. id) == 0 then return -1 end
        if redis.call("ZREM", P .. "delayed", id) == 0 then return -3 end
        local priority = tonumber(redis.call("HGET", P .. id, "priority") or "0") or 0
        enqueue(P, id, priority, false)
        redis.call("HSET", P .. id, "delay", 0)
        markReady(P)
        emit(P, maxEvents(P), "event", "waiting", "jobId", id, "prev", "delayed")
        return 0
        """#)

    /// Deletes a paused queue in batches (each job as drain does: its deduplication key goes, and
    /// a parent in another queue stops waiting for it). ARGV: P, batch, force (0/1). Returns 1 while keys
    /// remain, 0 when done, -1 when not paused, -2 when jobs are active and not forced.
    static let obliterate = make(
        "obliterate",
        removalLibrary + "\n" + #"""
            local P, batch, force = ARGV[1], tonumber(ARGV[2]), ARGV[3] == "1"
            if redis.call("HEXISTS", P .. "meta", "paused") == 0 then return -1 end
            if not force and redis.call("LLEN", P .. "active") > 0 then return -2 end
            local budget = batch
            for _, list in ipairs({"active", "wait", "paused"}) do
              local ids = redis.call("LRANGE", P .. list, 0, budget - 1)
              for _, id in ipairs(ids) do discardJob(P, id) end
              if #ids > 0 then redis.call("LTRIM", P .. list, #ids, -1) end
              budget = budget - #ids
              if budget <= 0 then return 1 end
            end
            for _, set in ipairs({"delayed", "completed", "failed", "prioritized", "waiting-children"}) do
              local ids = redis.call("ZRANGE", P .. set, 0, budget - 1)
              for _, id in ipairs(ids) do discardJob(P, id) end
              -- By id: discarding a nested parent may already have taken other entries out of the set.
              for i = 1, #ids, 1000 do redis.call("ZREM", P .. set, unpack(ids, i, math.min(i + 999, #ids))) end
              budget = budget - #ids
              if budget <= 0 then return 1 end
            end
            local schedulers = redis.call("ZRANGE", P .. "repeat", 0, -1)
            for _, id in ipairs(schedulers) do redis.call("DEL", P .. "repeat:" .. id) end
            redis.call("DEL", P .. "repeat", P .. "events", P .. "delay", P .. "priority", P .. "stalled-check", P .. "stalled",
              P .. "id", P .. "pc", P .. "marker", P .. "meta", P .. "limiter", P .. "metrics:completed", P .. "metrics:failed",
              P .. "metrics:completed:data", P .. "metrics:failed:data")
            return 0
            """#)

    /// Re-runs one finished job; a flow child is one of its parent's dependencies again.
    /// ARGV: P, id, state ("failed"|"completed"), reset attempts (0/1).
    /// Returns 0, -1 (no job) or -3 (not in that state).
    static let reprocessJob = make(
        "reprocessJob",
        #"""
        local P, id, state, reset = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == "1"
        if redis.call("EXISTS", P .. id) == 0 then return -1 end
        if redis.call("ZREM", P .. state, id) == 0 then return -3 end
        redis.call("HDEL", P .. id, "finishedOn", "processedOn", state == "failed" and "failedReason" or "returnvalue")
        if reset then redis.call("HDEL", P .. id, "atm", "ats", "stc") end
        local priority = tonumber(redis.call("HGET", P .. id, "priority") or "0") or 0
        enqueue(P, id, priority, jobOptsFlag(P, id, "lifo") == true)
        markReady(P)
        rejoinParent(P, id, state)
        emit(P, maxEvents(P), "event", "waiting", "jobId", id, "prev", state)
        return 0
        """#)

    /// Moves up to `count` jobs finished at or before `until` back to wait. ARGV: P, state,
    /// count, until ms. Returns 1 while more remain, else 0.
    static let retryJobs = make(
        "retryJobs",
        #"""
        local P, state, count, untilMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
        local ids = redis.call("ZRANGEBYSCORE", P .. state, 0, untilMs, "LIMIT", 0, count)
        local limit = maxEvents(P)
        for _, id in ipairs(ids) do
          redis.call("ZREM", P .. state, id)
          redis.call("HDEL", P .. id, "finishedOn", "processedOn", state == "failed" and "failedReason" or "returnvalue")
          rejoinParent(P, id, state)
          redis.call("LPUSH", P .. "wait", id)
          emit(P, limit, "event", "waiting", "jobId", id, "prev", state)
        end
        if #ids > 0 then markReady(P) end
        if #ids == count and #redis.call("ZRANGEBYSCORE", P .. state, 0, untilMs, "LIMIT", 0, 1) > 0 then return 1 end
        return 0
        """#)

    /// ARGV: P, id. Returns the state name BullMQ reports.
    static let getState = make(
        "getState",
        #"""
        return stateOf(ARGV[1], ARGV[2])
        """#)

    /// A job's hash and state from the first of several queues (prefixes `ARGV[2...]`) that has
    /// it, in one round trip: `{queue index (1-based), state, fields}` or false. A key that is not
    /// a job's hash (a queue's own `meta`, `events`, …) is no job.
    static let findJob = make(
        "findJob",
        #"""
        local id = ARGV[1]
        for i = 2, #ARGV do
          local key = ARGV[i] .. id
          if redis.call("TYPE", key).ok == "hash" and redis.call("HEXISTS", key, "timestamp") == 1 then
            return {i - 1, stateOf(ARGV[i], id), redis.call("HGETALL", key)}
          end
        end
        return false
        """#)
}

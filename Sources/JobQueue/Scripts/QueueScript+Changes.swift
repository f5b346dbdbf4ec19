import RedisClient

extension QueueScript {
    /// Gives a job a new priority. ARGV: P, id, priority (0: none), lifo (0/1). A job still waiting
    /// (in wait or prioritized) moves to its new place: with lifo at the head of wait, or ahead of
    /// the jobs of its priority. Returns 0, or -1 when the job is gone.
    static let changePriority = make(
        "changePriority",
        #"""
        local P, id, priority, lifo = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == "1"
        if redis.call("EXISTS", P .. id) == 0 then return -1 end
        if redis.call("ZREM", P .. "prioritized", id) == 1 or redis.call("LREM", P .. "wait", -1, id) == 1 then
          if priority > 0 and lifo then
            redis.call("ZADD", P .. "prioritized", num(priority * 4294967296), id)
          else
            enqueue(P, id, priority, lifo)
          end
          markReady(P)
        end
        redis.call("HSET", P .. id, "priority", priority)
        return 0
        """#)

    /// Gives a delayed job a new delay, counted from now. ARGV: P, id, delay ms, now.
    /// Returns 0, -1 (no job) or -3 (not delayed).
    static let changeDelay = make(
        "changeDelay",
        #"""
        local P, id, delay, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
        if redis.call("EXISTS", P .. id) == 0 then return -1 end
        if redis.call("ZREM", P .. "delayed", id) == 0 then return -3 end
        delayBy(P, id, now, delay, maxEvents(P))
        return 0
        """#)

    /// BullMQ's metrics of finished jobs. ARGV: P, "completed"|"failed", start, end (list
    /// indexes). Returns {{count, prevTS, prevCount}, data points (newest first), points kept}.
    static let getMetrics = make(
        "getMetrics",
        #"""
        local key = ARGV[1] .. "metrics:" .. ARGV[2]
        return {redis.call("HMGET", key, "count", "prevTS", "prevCount"),
          redis.call("LRANGE", key .. ":data", tonumber(ARGV[3]), tonumber(ARGV[4])), redis.call("LLEN", key .. ":data")}
        """#)
}

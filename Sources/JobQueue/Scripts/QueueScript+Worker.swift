import RedisClient

extension QueueScript {
    /// Takes the next job. ARGV: P, token, lockDuration ms, now ms, limiter max (0 none), limiter
    /// duration ms, optional worker name (written as `pb`). Returns {fields|0, id|0,
    /// rateLimitTtl, nextDelayedMs}.
    static let moveToActive = make(
        "moveToActive",
        #"""
        local P = ARGV[1]
        return fetchNext(P, ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), maxEvents(P), ARGV[7])
        """#)

    /// Finishes an active job. ARGV: P, id, token, target ("completed"|"failed"), value
    /// (returnvalue JSON or failedReason), stacktrace JSON ("" keeps it), attempts allowed,
    /// keep count (-1 all), keep age s (-1 none), keep limit, fetch next (0/1), now, lockDuration,
    /// limiter max, limiter duration, token for the fetched job, then optionally the worker name
    /// (`pb` of the fetched job) and the metrics' data points (0: no metrics).
    /// Returns 0, a negative code (-1 no job, -2 no lock, -3 not active, -4 pending children,
    /// -6 lock owned by another token, -9 a failed child), or the fetch result when `fetch next`
    /// took a job.
    static let moveToFinished = make(
        "moveToFinished",
        #"""
        local P, id, token, target, value, stacktrace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local attempts, keepCount, keepAge, keepLimit = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
        local fetch, now, lockDuration = ARGV[11] == "1", tonumber(ARGV[12]), tonumber(ARGV[13])
        local limiterMax, limiterDuration, nextToken = tonumber(ARGV[14]), tonumber(ARGV[15]), ARGV[16]
        local workerName, metricsPoints = ARGV[17] or "", tonumber(ARGV[18] or "0") or 0
        local jobKey = P .. id
        if redis.call("EXISTS", jobKey) == 0 then return -1 end
        if target == "completed" and redis.call("SCARD", jobKey .. ":dependencies") > 0 then return -4 end
        if target == "completed" and redis.call("ZCARD", jobKey .. ":unsuccessful") > 0 then return -9 end
        local left = leaveActive(P, id, token)
        if left ~= 0 then return left end
        local limit = maxEvents(P)
        redis.call("XTRIM", P .. "events", "MAXLEN", "~", limit)
        local dedupId = redis.call("HGET", jobKey, "deid")
        releaseDedupOnFinish(P, id, dedupId)
        if dedupId then requeuePending(P, dedupId, now, limit) end
        notifyParent(P, id, target == "completed", value, now)
        local made = bump(jobKey, "atm")

        if keepCount == 0 then
          detachFromParent(P, id, false)  -- e.g. a failed child without a failure policy
          deleteJobKeys(P, id)
        else
          redis.call("ZADD", P .. target, now, id)
          if target == "completed" then
            redis.call("HSET", jobKey, "returnvalue", value, "finishedOn", now)
          else
            redis.call("HSET", jobKey, "failedReason", value, "finishedOn", now)
            if stacktrace ~= "" then redis.call("HSET", jobKey, "stacktrace", stacktrace) end
            redis.call("HDEL", jobKey, "defa")
          end
          applyRetention(P, target, keepCount, keepAge, keepLimit, now)
        end

        if target == "completed" then
          redis.call("XADD", P .. "events", "*", "event", "completed", "jobId", id, "returnvalue", value, "prev", "active")
        else
          redis.call("XADD", P .. "events", "*", "event", "failed", "jobId", id, "failedReason", value, "prev", "active")
          if made >= attempts then
            redis.call("XADD", P .. "events", "*", "event", "retries-exhausted", "jobId", id, "attemptsMade", made)
          end
        end

        if metricsPoints > 0 then recordMetrics(P, target, now, metricsPoints) end

        if fetch then
          local next = fetchNext(P, nextToken, lockDuration, now, limiterMax, limiterDuration, limit, workerName)
          -- As BullMQ: a job, the limiter, a delayed job to wait for, or a paused or maxed queue is
          -- the answer, and the queue is not drained.
          if next[2] ~= 0 or next[3] ~= 0 or next[4] ~= 0 or isPausedOrMaxed(P) then return next end
        end
        if redis.call("LLEN", P .. "wait") == 0 and redis.call("LLEN", P .. "active") == 0 and redis.call("ZCARD", P .. "prioritized") == 0 then
          redis.call("XADD", P .. "events", "*", "event", "drained")
        end
        return 0
        """#)

    /// A failed attempt that will be retried. ARGV: P, id, token, failedReason, stacktrace JSON,
    /// now, backoff ms (0: straight back to wait). Returns 0 or a negative code as moveToFinished.
    static let retryLater = make(
        "retryLater",
        #"""
        local P, id, token, reason, stacktrace = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local now, backoff = tonumber(ARGV[6]), tonumber(ARGV[7])
        local jobKey = P .. id
        if redis.call("EXISTS", jobKey) == 0 then return -1 end
        local left = leaveActive(P, id, token)
        if left ~= 0 then return left end
        local limit = maxEvents(P)
        redis.call("HSET", jobKey, "failedReason", reason)
        if stacktrace ~= "" then redis.call("HSET", jobKey, "stacktrace", stacktrace) end
        bump(jobKey, "atm")
        if backoff > 0 then
          delayBy(P, id, now, backoff, limit)
        else
          promoteDue(P, now, limit)
          local priority = tonumber(redis.call("HGET", jobKey, "priority") or "0") or 0
          enqueue(P, id, priority, jobOptsFlag(P, id, "lifo") == true)
          markReady(P)
          emit(P, limit, "event", "waiting", "jobId", id, "prev", "active")
        end
        return 0
        """#)

    /// Puts an active job back to delayed without using up an attempt (the job could not start
    /// yet, e.g. its server is busy). ARGV: P, id, token, now, delay ms. Returns 0 or a code.
    static let postpone = make(
        "postpone",
        #"""
        local P, id, token, now, delay = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
        if redis.call("EXISTS", P .. id) == 0 then return -1 end
        local left = leaveActive(P, id, token)
        if left ~= 0 then return left end
        delayBy(P, id, now, delay, maxEvents(P))
        return 0
        """#)

    /// Renews locks. ARGV: P, lockDuration ms, then id, token pairs. Returns the tokens whose lock
    /// is gone or owned by someone else.
    static let extendLocks = make(
        "extendLocks",
        #"""
        local P, duration = ARGV[1], ARGV[2]
        local lost = {}
        for i = 3, #ARGV, 2 do
          local id, token = ARGV[i], ARGV[i + 1]
          if redis.call("GET", P .. id .. ":lock") == token then
            redis.call("SET", P .. id .. ":lock", token, "PX", duration)
            redis.call("SREM", P .. "stalled", id)
          else
            table.insert(lost, token)
          end
        end
        return lost
        """#)

    /// The fleet-wide stalled check. ARGV: P, maxStalledCount, stalledInterval ms, now.
    /// Returns the ids moved back to wait ({} when another worker checked within the interval).
    static let moveStalledJobsToWait = make(
        "moveStalledJobsToWait",
        #"""
        local P, maxStalled, interval, now = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
        if redis.call("EXISTS", P .. "stalled-check") == 1 then return {} end
        redis.call("SET", P .. "stalled-check", now, "PX", interval)
        local limit = maxEvents(P)
        redis.call("XTRIM", P .. "events", "MAXLEN", "~", limit)
        local moved = {}
        local suspects = redis.call("SMEMBERS", P .. "stalled")
        redis.call("DEL", P .. "stalled")
        for _, id in ipairs(suspects) do
          if redis.call("EXISTS", P .. id .. ":lock") == 0 and redis.call("LREM", P .. "active", 1, id) > 0 then
            local count = bump(P .. id, "stc")
            -- An iteration of a scheduler that still exists is never failed; one whose scheduler
            -- is gone fails like any job (else a job that crashes workers would run for ever).
            local rjk = redis.call("HGET", P .. id, "rjk")
            local scheduled = rjk and (redis.call("EXISTS", P .. "repeat:" .. rjk) == 1 or redis.call("ZSCORE", P .. "repeat", rjk))
            if count > maxStalled and not scheduled then
              redis.call("HSET", P .. id, "defa", "job stalled more than allowable limit")
            end
            redis.call("RPUSH", P .. "wait", id)
            markReady(P)
            redis.call("XADD", P .. "events", "*", "event", "waiting", "jobId", id, "prev", "active")
            redis.call("XADD", P .. "events", "*", "event", "stalled", "jobId", id)
            table.insert(moved, id)
          end
        end
        local active = redis.call("LRANGE", P .. "active", 0, -1)
        for i = 1, #active, 1000 do
          redis.call("SADD", P .. "stalled", unpack(active, i, math.min(i + 999, #active)))
        end
        return moved
        """#)

    /// ARGV: P, id, progress JSON. Returns 0, or -1 when the job is gone.
    static let updateProgress = make(
        "updateProgress",
        #"""
        local P, id, progress = ARGV[1], ARGV[2], ARGV[3]
        if redis.call("EXISTS", P .. id) == 0 then return -1 end
        redis.call("HSET", P .. id, "progress", progress)
        emit(P, maxEvents(P), "event", "progress", "jobId", id, "data", progress)
        return 0
        """#)

    /// ARGV: P, id, line, keep (0: all). Returns the log length, or -1 when the job is gone.
    static let addLog = make(
        "addLog",
        #"""
        local P, id, line, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
        if redis.call("EXISTS", P .. id) == 0 then return -1 end
        local length = redis.call("RPUSH", P .. id .. ":logs", line)
        if keep > 0 and length > keep then
          redis.call("LTRIM", P .. id .. ":logs", -keep, -1)
          length = keep
        end
        return length
        """#)
}

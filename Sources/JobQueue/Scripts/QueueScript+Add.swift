import RedisClient

extension QueueScript {
    /// Adds one job: `addOne(P, args, first, maxEvents, ready)` reads 16 arguments from `first`:
    /// name, data, opts, timestamp, delay, priority, lifo (0/1), custom id ("" for auto), dedup id,
    /// dedup ttl ms (0 none), dedup extend (0/1), dedup replace (0/1), parent key ("" none),
    /// parent JSON, has children (0/1: waits in waiting-children), dedup keepLastIfActive (0/1).
    /// `ready` is false while the queue is paused or at its global concurrency (no wake-up marker).
    /// It returns {id, outcome}: outcome 0 added, 1 duplicate custom id, 2 deduplicated (the id is
    /// the owner's); or {"", -5} when the parent is missing and {"", -7} when the job belongs to
    /// another parent.
    static let addJobLibrary = #"""
        local function addOne(P, a, i, limit, ready)
        local name, data, opts = a[i], a[i + 1], a[i + 2]
        local timestamp, delay, priority = tonumber(a[i + 3]), tonumber(a[i + 4]), tonumber(a[i + 5])
        local lifo, customId = a[i + 6] == "1", a[i + 7]
        local dedupId, dedupTtl, dedupExtend, dedupReplace = a[i + 8], tonumber(a[i + 9]), a[i + 10] == "1", a[i + 11] == "1"
        local parentKey, parentJSON, hasChildren = a[i + 12], a[i + 13], a[i + 14] == "1"
        local keepLast = a[i + 15] == "1"
        if parentKey ~= "" and redis.call("EXISTS", parentKey) == 0 then return {"", -5} end
        local counter = redis.call("INCR", P .. "id")
        local id = customId
        if id == "" then id = tostring(counter) end

        if customId ~= "" and redis.call("EXISTS", P .. id) == 1 then
          if parentKey ~= "" then
            local current = redis.call("HGET", P .. id, "parentKey")
            if current and current ~= parentKey and redis.call("EXISTS", current) == 1 then return {"", -7} end
            local finished = redis.call("ZSCORE", P .. "completed", id)
            if finished then
              redis.call("HSET", parentKey .. ":processed", P .. id, redis.call("HGET", P .. id, "returnvalue") or "null")
            else
              redis.call("SADD", parentKey .. ":dependencies", P .. id)
            end
            redis.call("HSET", P .. id, "parentKey", parentKey, "parent", parentJSON)
          end
          emit(P, limit, "event", "duplicated", "jobId", id)
          return {id, 1}
        end

        if dedupId ~= "" then
          local dedup = {id = dedupId, ttl = dedupTtl, extend = dedupExtend, replace = dedupReplace, keepLast = keepLast}
          local job = {name = name, data = data, opts = opts, parentKey = parentKey, parentJSON = parentJSON}
          local owner = claimDedup(P, id, dedup, job, limit)
          if owner then return {owner, 2} end
        end

        local fields = {"name", name, "data", data, "opts", opts, "timestamp", timestamp, "delay", delay, "priority", priority}
        if dedupId ~= "" then table.insert(fields, "deid"); table.insert(fields, dedupId) end
        if parentKey ~= "" then
          table.insert(fields, "parentKey"); table.insert(fields, parentKey)
          table.insert(fields, "parent"); table.insert(fields, parentJSON)
        end
        redis.call("HSET", P .. id, unpack(fields))
        emit(P, limit, "event", "added", "jobId", id, "name", name)
        if parentKey ~= "" then redis.call("SADD", parentKey .. ":dependencies", P .. id) end

        if hasChildren then
          redis.call("ZADD", P .. "waiting-children", timestamp, id)
          emit(P, limit, "event", "waiting-children", "jobId", id)
        elseif delay > 0 then
          local due = timestamp + delay
          addDelayed(P, id, due, limit)
        else
          enqueue(P, id, priority, lifo)
          if ready then redis.call("ZADD", P .. "marker", 0, "0") end
          emit(P, limit, "event", "waiting", "jobId", id)
        end
        return {id, 0}
        end
        """#

    /// ARGV: P, then the 16 job arguments of `addOne`.
    static let addJob = make(
        "addJob",
        addJobLibrary + "\n" + #"""
            local P = ARGV[1]
            return addOne(P, ARGV, 2, maxEvents(P), not isPausedOrMaxed(P))
            """#)

    /// Ends a flow's add: a parent whose every child already existed as a completed job (each
    /// added to its `:processed` on the way) leaves waiting-children now, as BullMQ's
    /// `updateParentDepsIfNeeded` does; run after all of the flow's jobs, so a parent never runs
    /// before children added later in the same flow. ARGV: P, parent id, now.
    static let releaseParentIfReady = make(
        "releaseParentIfReady",
        #"""
        local P, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
        if redis.call("SCARD", P .. id .. ":dependencies") == 0 then releaseParent({base = P, id = id}, now) end
        return 0
        """#)

    /// Adds many jobs in one call (addBulk). ARGV: P, then 16 arguments per job.
    /// Returns one {id, outcome} per job.
    static let addJobs = make(
        "addJobs",
        addJobLibrary + "\n" + #"""
            local P = ARGV[1]
            local limit, ready = maxEvents(P), not isPausedOrMaxed(P)
            local results = {}
            for i = 2, #ARGV, 16 do
              table.insert(results, addOne(P, ARGV, i, limit, ready))
            end
            return results
            """#)
}

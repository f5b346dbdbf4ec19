import RedisClient

extension QueueScript {
    /// Helpers of the scripts that delete jobs.
    static let removalLibrary = #"""
        -- The ids of every job scheduler's current iteration (a set): they keep the scheduler going.
        local function currentIterations(P)
          local current = {}
          local schedulers = redis.call("ZRANGE", P .. "repeat", 0, -1, "WITHSCORES")
          for i = 1, #schedulers, 2 do
            current["repeat:" .. schedulers[i] .. ":" .. num(tonumber(schedulers[i + 1]))] = true
          end
          return current
        end

        -- Takes `id` out of whichever state holds it; returns that state's key name ("unknown": none).
        local function takeOutOfState(P, id)
          for _, state in ipairs({"completed", "waiting-children", "delayed", "failed", "prioritized"}) do
            if redis.call("ZREM", P .. state, id) == 1 then return state end
          end
          for _, state in ipairs({"wait", "paused", "active"}) do
            if redis.call("LREM", P .. state, 1, id) == 1 then return state end
          end
          return "unknown"
        end

        -- Deletes a job that drain, clean or a scheduler replaces (no event): its parent lets go of it
        -- (`hard`) and its deduplication key goes.
        local function discardJob(P, id)
          detachFromParent(P, id, true)
          releaseDedupOnRemoval(P, id)
          deleteJobKeys(P, id)
        end
        """#

    /// Removes a job. ARGV: P, id, remove children (0/1). Its children (pending, processed,
    /// failed), in any queue, go too when asked; its parent lets go of it; its deduplication key
    /// and a payload waiting behind it go. Returns 1 removed, 0 refused (the job, or with children
    /// one of its pending children, is locked by a worker), -1 no job, -8 the job is a job
    /// scheduler's current iteration (remove the scheduler instead).
    static let removeJob = make(
        "removeJob",
        removalLibrary + "\n" + #"""
            local P, id, withChildren = ARGV[1], ARGV[2], ARGV[3] ~= "0"
            if redis.call("EXISTS", P .. id) == 0 then return -1 end
            local schedulerId = redis.call("HGET", P .. id, "rjk")
            if schedulerId then
              local current = redis.call("ZSCORE", P .. "repeat", schedulerId)
              if current and "repeat:" .. schedulerId .. ":" .. num(tonumber(current)) == id then return -8 end
            end

            local function isLocked(base, jobId)
              if redis.call("EXISTS", base .. jobId .. ":lock") == 1 then return true end
              if not withChildren then return false end
              for _, childKey in ipairs(redis.call("SMEMBERS", base .. jobId .. ":dependencies")) do
                local childBase, childId = splitJobKey(childKey)
                if childBase and isLocked(childBase, childId) then return true end
              end
              return false
            end
            if isLocked(P, id) then return 0 end

            local function childKeys(jobKey)
              local keys = redis.call("HKEYS", jobKey .. ":processed")
              for _, key in ipairs(redis.call("HKEYS", jobKey .. ":failed")) do table.insert(keys, key) end
              for _, key in ipairs(redis.call("ZRANGE", jobKey .. ":unsuccessful", 0, -1)) do table.insert(keys, key) end
              for _, key in ipairs(redis.call("SMEMBERS", jobKey .. ":dependencies")) do table.insert(keys, key) end
              return keys
            end

            local function removeTree(base, jobId)
              if withChildren then
                for _, childKey in ipairs(childKeys(base .. jobId)) do
                  local childBase, childId = splitJobKey(childKey)
                  if childBase and redis.call("EXISTS", childKey) == 1 then removeTree(childBase, childId) end
                end
              end
              local prev = takeOutOfState(base, jobId)
              releaseDedupOnRemoval(base, jobId)
              deleteJobKeys(base, jobId)
              redis.call("SREM", base .. "stalled", jobId)
              emit(base, maxEvents(base), "event", "removed", "jobId", jobId, "prev", prev)
            end

            detachFromParent(P, id, false)
            removeTree(P, id)
            return 1
            """#)

    /// Removes jobs of one state finished (or created) before `olderThan`; a job scheduler's
    /// current iteration stays. ARGV: P, state, olderThan ms, limit (0: no limit). Returns the
    /// removed ids.
    static let clean = make(
        "clean",
        removalLibrary + "\n" + #"""
            local P, state, olderThan, max = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
            if max <= 0 then max = 1000000000 end
            local current = currentIterations(P)
            local removed = {}
            local function timeOf(id, fields)
              local values = redis.call("HMGET", P .. id, unpack(fields))
              for _, value in ipairs(values) do
                if value then return tonumber(value) end
              end
              return nil
            end
            local function drop(id)
              discardJob(P, id)
              table.insert(removed, id)
            end
            if state == "completed" or state == "failed" then
              local ids = redis.call("ZRANGEBYSCORE", P .. state, 0, num(olderThan), "LIMIT", 0, max)
              for _, id in ipairs(ids) do drop(id); redis.call("ZREM", P .. state, id) end
            elseif state == "wait" or state == "paused" or state == "active" then
              local ids = redis.call("LRANGE", P .. state, 0, -1)
              for i = #ids, 1, -1 do
                if #removed >= max then break end
                local id = ids[i]
                local locked = state == "active" and redis.call("EXISTS", P .. id .. ":lock") == 1
                local at = timeOf(id, {"finishedOn", "processedOn", "timestamp"})
                if not locked and (at == nil or at <= olderThan) and not current[id] then
                  redis.call("LREM", P .. state, 0, id)
                  drop(id)
                end
              end
            elseif state == "delayed" or state == "prioritized" or state == "waiting-children" then
              local ids = redis.call("ZRANGE", P .. state, 0, -1)
              for _, id in ipairs(ids) do
                if #removed >= max then break end
                local at = timeOf(id, state == "delayed" and {"processedOn", "timestamp"} or {"timestamp"})
                if (at == nil or at <= olderThan) and not current[id] then
                  redis.call("ZREM", P .. state, id)
                  drop(id)
                end
              end
            else
              return redis.error_reply("unknown state " .. state)
            end
            emit(P, maxEvents(P), "event", "cleaned", "count", #removed)
            return removed
            """#)

    /// Removes waiting, prioritized (and, when asked, delayed) jobs, except each job scheduler's
    /// current iteration, so the schedulers keep running. ARGV: P, include delayed (0/1).
    static let drain = make(
        "drain",
        removalLibrary + "\n" + #"""
            local P, withDelayed = ARGV[1], ARGV[2] == "1"
            local current = currentIterations(P)
            local function drainList(name)
              local key = P .. name
              local kept = {}
              for _, id in ipairs(redis.call("LRANGE", key, 0, -1)) do
                if current[id] then table.insert(kept, id) else discardJob(P, id) end
              end
              redis.call("DEL", key)
              for i = 1, #kept, 1000 do redis.call("RPUSH", key, unpack(kept, i, math.min(i + 999, #kept))) end
            end
            local function drainSet(name)
              local key = P .. name
              local dropped = {}
              for _, id in ipairs(redis.call("ZRANGE", key, 0, -1)) do
                if not current[id] then
                  discardJob(P, id)
                  table.insert(dropped, id)
                end
              end
              for i = 1, #dropped, 1000 do redis.call("ZREM", key, unpack(dropped, i, math.min(i + 999, #dropped))) end
            end
            drainList("wait")
            drainList("paused")
            drainSet("prioritized")
            if redis.call("ZCARD", P .. "prioritized") == 0 then redis.call("DEL", P .. "pc") end
            if withDelayed then drainSet("delayed") end
            return 0
            """#)
}

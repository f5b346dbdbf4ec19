extension LuaLibrary {
    /// Flows: how a child's fate reaches its parent (`parentKey`/`parent` in the child's hash, the
    /// child's full key in the parent's `:dependencies` until it finishes).
    static let parents = #"""
        -- A full job key split into its queue's key base and the id. Ids have no ':' except scheduler
        -- iterations (`repeat:<scheduler>:<ms>`).
        local function splitJobKey(key)
          local base, id = string.match(key, "^(.*:)(repeat:[^:]*:%d+)$")
          if base then return base, id end
          return string.match(key, "^(.*:)([^:]+)$")
        end

        -- The parent of a child job: its full key, its queue's key base, its id and the child's flags.
        local function parentOf(P, id)
          local raw = redis.call("HGET", P .. id, "parent")
          if not raw then return nil end
          local ok, parent = pcall(cjson.decode, raw)
          -- Text (or a number, as a JS caller may give the id) only: a malformed field (any
          -- client's) must not fail a script after it moved the job.
          if not ok or type(parent) ~= "table" or type(parent.queueKey) ~= "string" then return nil end
          if type(parent.id) == "number" then parent.id = num(parent.id) end
          if type(parent.id) ~= "string" then return nil end
          parent.base = parent.queueKey .. ":"
          parent.key = parent.base .. parent.id
          return parent
        end

        -- Puts a parent taken out of `prev` where it runs next: prioritized or wait.
        local function moveParentToWait(parent, prev)
          local base, id = parent.base, parent.id
          local priority = tonumber(redis.call("HGET", base .. id, "priority") or "0") or 0
          if priority > 0 then enqueue(base, id, priority, false) else redis.call("RPUSH", base .. "wait", id) end
          markReady(base)
          emit(base, maxEvents(base), "event", "waiting", "jobId", id, "prev", prev)
        end

        -- Moves a parent out of waiting-children once it may run (after its delay, if it has one).
        local function releaseParent(parent, now)
          local base, id = parent.base, parent.id
          if redis.call("ZREM", base .. "waiting-children", id) == 0 then return end
          local delay = tonumber(redis.call("HGET", base .. id, "delay") or "0") or 0
          if delay > 0 then
            addDelayed(base, id, now + delay, maxEvents(base))
          else
            moveParentToWait(parent, "waiting-children")
          end
        end

        -- A child that must fail its parent (`fpof`): a parent still waiting (for children, or out
        -- its delay) moves to wait at once to fail there; one already failed keeps its reason.
        local function failParentFor(parent, childKey, now)
          local reason = "child " .. childKey .. " failed"
          if redis.call("ZREM", parent.base .. "waiting-children", parent.id) == 1 then
            redis.call("HSET", parent.key, "defa", reason)
            moveParentToWait(parent, "waiting-children")
          elseif redis.call("ZREM", parent.base .. "delayed", parent.id) == 1 then
            redis.call("HSET", parent.key, "delay", 0, "defa", reason)
            moveParentToWait(parent, "delayed")
          elseif not redis.call("ZSCORE", parent.base .. "failed", parent.id) then
            redis.call("HSET", parent.key, "defa", reason)
          end
        end

        -- Applies a finished child's outcome to its parent, as BullMQ does.
        local function notifyParent(P, id, completed, value, now)
          local parent = parentOf(P, id)
          if not parent or redis.call("EXISTS", parent.key) == 0 then return end
          local childKey = P .. id
          local dependencies = parent.key .. ":dependencies"
          if completed then
            redis.call("SREM", dependencies, childKey)
            redis.call("HSET", parent.key .. ":processed", childKey, value)
            if redis.call("SCARD", dependencies) == 0 then releaseParent(parent, now) end
          elseif not (parent.fpof or parent.cpof or parent.idof or parent.rdof) then
            return  -- no policy: the parent keeps waiting for the child (a retry may yet complete it)
          -- A failure counts once, while the child is still a dependency (as BullMQ's guards).
          elseif redis.call("SREM", dependencies, childKey) == 0 then
            return
          elseif parent.fpof then
            redis.call("ZADD", parent.key .. ":unsuccessful", now, childKey)
            failParentFor(parent, childKey, now)
          elseif parent.cpof then
            redis.call("HSET", parent.key .. ":failed", childKey, value)
            releaseParent(parent, now)
          elseif parent.idof or parent.rdof then
            if parent.idof then redis.call("HSET", parent.key .. ":failed", childKey, value) end
            if redis.call("SCARD", dependencies) == 0 then releaseParent(parent, now) end
          end
        end

        -- A child that goes away (removed, or deleted when it finished) no longer holds its parent back:
        -- when it was the last dependency the parent leaves waiting-children for the head of wait.
        -- `hard` (drain, a scheduler's replaced iteration): a parent in the same queue is deleted too, a
        -- parent elsewhere moves without an event. Call it before the child's hash is deleted.
        local function detachFromParent(P, id, hard)
          local parentKey = redis.call("HGET", P .. id, "parentKey")
          if not parentKey or parentKey == "" or redis.call("EXISTS", parentKey) == 0 then return end
          local dependencies = parentKey .. ":dependencies"
          if redis.call("SREM", dependencies, P .. id) == 0 or redis.call("SCARD", dependencies) > 0 then return end
          local base, parentId = splitJobKey(parentKey)
          if not base or redis.call("ZREM", base .. "waiting-children", parentId) == 0 then return end
          if hard and base == P then
            detachFromParent(P, parentId, true)
            local dedupId = redis.call("HGET", parentKey, "deid")
            if dedupId and redis.call("GET", P .. "de:" .. dedupId) == parentId then redis.call("DEL", P .. "de:" .. dedupId) end
            deleteJobKeys(P, parentId)
            return
          end
          redis.call("RPUSH", base .. "wait", parentId)
          markReady(base)
          if not hard then emit(base, maxEvents(base), "event", "waiting", "jobId", parentId, "prev", "waiting-children") end
        end

        -- A finished child that runs again (retried) is one of its parent's dependencies again; a parent
        -- that already left waiting-children stays where it is.
        local function rejoinParent(P, id, state)
          local parentKey = redis.call("HGET", P .. id, "parentKey")
          if not parentKey or parentKey == "" or redis.call("EXISTS", parentKey) == 0 then return end
          local childKey = P .. id
          local recorded
          if state == "failed" then
            recorded = redis.call("ZREM", parentKey .. ":unsuccessful", childKey) == 1
              or redis.call("HDEL", parentKey .. ":failed", childKey) == 1
          else
            recorded = redis.call("HDEL", parentKey .. ":processed", childKey) == 1
          end
          if recorded then redis.call("SADD", parentKey .. ":dependencies", childKey) end
        end
        """#
}

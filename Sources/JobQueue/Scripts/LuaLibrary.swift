/// Lua helpers shared by the queue scripts; each script is this library followed by its body.
///
/// Conventions: `P` is the queue's key prefix (`bull:<queue>:`); numbers that may exceed 14
/// digits are formatted with `%.0f` because Redis' Lua turns numbers into `%.14g` strings.
/// The pieces are concatenated in dependency order (a Lua local must be defined before use).
enum LuaLibrary {
    static let source = core + "\n" + parents + "\n" + deduplication + "\n" + finishing

    static let core = #"""
        local function num(x) return string.format("%.0f", x) end

        -- HINCRBY by one that cannot fail: a value another client left that is not an integer (or
        -- would overflow) counts from 0 again. A script failing here, after it moved a job, would
        -- leave the job in no list (Redis does not roll a script back).
        local function bump(key, field)
          local value = redis.pcall("HINCRBY", key, field, 1)
          if type(value) == "number" then return value end
          redis.call("HSET", key, field, 1)
          return 1
        end

        local function stateOf(P, id)
          for _, state in ipairs({"completed", "failed", "delayed", "prioritized"}) do
            if redis.call("ZSCORE", P .. state, id) then return state end
          end
          if redis.call("LPOS", P .. "active", id) then return "active" end
          if redis.call("LPOS", P .. "wait", id) or redis.call("LPOS", P .. "paused", id) then return "waiting" end
          if redis.call("ZSCORE", P .. "waiting-children", id) then return "waiting-children" end
          return "unknown"
        end

        local function maxEvents(P)
          local value = redis.call("HGET", P .. "meta", "opts.maxLenEvents")
          if value then return tonumber(value) or 10000 end
          redis.call("HSET", P .. "meta", "opts.maxLenEvents", 10000)
          return 10000
        end

        -- XADD with approximate trimming; `...` are field/value pairs.
        local function emit(P, limit, ...)
          return redis.call("XADD", P .. "events", "MAXLEN", "~", limit, "*", ...)
        end

        local function isPausedOrMaxed(P)
          local meta = redis.call("HMGET", P .. "meta", "paused", "concurrency")
          if meta[1] then return true end
          local cap = tonumber(meta[2])
          if cap then return redis.call("LLEN", P .. "active") >= cap end
          return false
        end

        local function markReady(P)
          if not isPausedOrMaxed(P) then redis.call("ZADD", P .. "marker", 0, "0") end
        end

        -- The marker's "1" member carries the earliest delayed due time in ms.
        local function markNextDelayed(P)
          local first = redis.call("ZRANGE", P .. "delayed", 0, 0, "WITHSCORES")
          if first[2] then
            redis.call("ZADD", P .. "marker", num(math.floor(tonumber(first[2]) / 4096)), "1")
          end
        end

        -- Puts a job where workers take it: wait (FIFO: LPUSH; LIFO: RPUSH) or prioritized.
        local function enqueue(P, id, priority, lifo)
          if priority > 0 then
            local counter = redis.call("INCR", P .. "pc")
            redis.call("ZADD", P .. "prioritized", num(priority * 4294967296 + (counter % 4294967296)), id)
          elseif lifo then
            redis.call("RPUSH", P .. "wait", id)
          else
            redis.call("LPUSH", P .. "wait", id)
          end
        end

        -- Adds `id` to delayed with FIFO order inside one millisecond, and says so in the events.
        local function addDelayed(P, id, due, limit)
          local base = due * 4096
          local last = redis.call("ZREVRANGEBYSCORE", P .. "delayed", num(base + 4095), num(base), "WITHSCORES", "LIMIT", 0, 1)
          local seq = 0
          if last[2] then seq = math.min(tonumber(last[2]) - base + 1, 4095) end
          redis.call("ZADD", P .. "delayed", num(base + seq), id)
          markNextDelayed(P)
          emit(P, limit, "event", "delayed", "jobId", id, "delay", num(due))
        end

        -- Records a job's delay and moves it to delayed, due `delay` ms after `now`.
        local function delayBy(P, id, now, delay, limit)
          redis.call("HSET", P .. id, "delay", delay)
          addDelayed(P, id, now + delay, limit)
        end

        local function jobOptsFlag(P, id, field)
          local opts = redis.call("HGET", P .. id, "opts")
          if not opts then return nil end
          local ok, decoded = pcall(cjson.decode, opts)
          if ok and type(decoded) == "table" then return decoded[field] end
          return nil
        end

        -- Moves due delayed jobs to wait or prioritized (up to 1000 per call).
        local function promoteDue(P, now, limit)
          local due = redis.call("ZRANGEBYSCORE", P .. "delayed", 0, num((now + 1) * 4096 - 1), "LIMIT", 0, 1000)
          if #due == 0 then return end
          redis.call("ZREM", P .. "delayed", unpack(due))
          for _, id in ipairs(due) do
            local priority = tonumber(redis.call("HGET", P .. id, "priority") or "0") or 0
            enqueue(P, id, priority, false)
            redis.call("HSET", P .. id, "delay", 0)
            emit(P, limit, "event", "waiting", "jobId", id, "prev", "delayed")
          end
          markReady(P)
        end

        local function deleteJobKeys(P, id)
          redis.call("DEL", P .. id, P .. id .. ":logs", P .. id .. ":dependencies", P .. id .. ":processed",
            P .. id .. ":failed", P .. id .. ":unsuccessful", P .. id .. ":lock")
        end

        -- Takes the next job for `token`; returns {fields, id, rateLimitTtl, nextDelayedMs}. The queue's
        -- `meta.max` wins over the worker's limiter max, the worker's limiter duration over
        -- `meta.duration` (as BullMQ does); `workerName` ("" none) is written as the job's `pb`.
        local function fetchNext(P, token, lockDuration, now, limiterMax, limiterDuration, limit, workerName)
          local meta = redis.call("HMGET", P .. "meta", "paused", "concurrency", "max", "duration")
          promoteDue(P, now, limit)
          local maxJobs = tonumber(meta[3]) or limiterMax or 0
          local duration = limiterDuration
          if not duration or duration <= 0 then duration = tonumber(meta[4]) end
          if not duration or duration <= 0 then maxJobs = 0 end  -- a limit without a window cannot expire
          if maxJobs > 0 then
            local used = tonumber(redis.call("GET", P .. "limiter") or "0") or 0
            if used >= maxJobs then
              local ttl = redis.call("PTTL", P .. "limiter")
              if ttl <= 0 then redis.call("DEL", P .. "limiter") else return {0, 0, ttl, 0} end
            end
          end
          if meta[1] or (tonumber(meta[2]) and redis.call("LLEN", P .. "active") >= tonumber(meta[2])) then
            return {0, 0, 0, 0}
          end
          local id = redis.call("RPOPLPUSH", P .. "wait", P .. "active")
          if id and string.sub(id, 1, 2) == "0:" then
            redis.call("LREM", P .. "active", 1, id)
            id = redis.call("RPOPLPUSH", P .. "wait", P .. "active")
          end
          if not id then
            local popped = redis.call("ZPOPMIN", P .. "prioritized")
            if popped[1] then
              id = popped[1]
              redis.call("LPUSH", P .. "active", id)
            else
              redis.call("DEL", P .. "pc")
            end
          end
          if id then
            if maxJobs > 0 then
              if redis.call("INCR", P .. "limiter") == 1 then redis.call("PEXPIRE", P .. "limiter", math.floor(duration)) end
            end
            if token ~= "0" then redis.call("SET", P .. id .. ":lock", token, "PX", lockDuration) end
            emit(P, limit, "event", "active", "jobId", id, "prev", "waiting")
            redis.call("HSET", P .. id, "processedOn", now)
            if workerName and workerName ~= "" then redis.call("HSET", P .. id, "pb", workerName) end
            bump(P .. id, "ats")
            redis.call("ZADD", P .. "marker", 0, "0")
            return {redis.call("HGETALL", P .. id), id, 0, 0}
          end
          local first = redis.call("ZRANGE", P .. "delayed", 0, 0, "WITHSCORES")
          if first[2] then return {0, 0, 0, num(math.floor(tonumber(first[2]) / 4096))} end
          return {0, 0, 0, 0}
        end

        -- Takes an active job out of `active` for the worker whose `token` holds its lock (then
        -- released; token "0" holds none): 0, or -2 (no lock), -6 (another's lock), -3 (not active).
        local function leaveActive(P, id, token)
          if token ~= "0" then
            local owner = redis.call("GET", P .. id .. ":lock")
            if owner ~= token then return owner and -6 or -2 end
            redis.call("DEL", P .. id .. ":lock")
            redis.call("SREM", P .. "stalled", id)
          end
          if redis.call("LREM", P .. "active", -1, id) == 0 then return -3 end
          return 0
        end

        -- Stores a job hash (`extra`: more field/value pairs) and queues it by its options: delayed,
        -- prioritized, or wait (LIFO at the head). `opts` is the decoded `optsText`.
        local function storeAndEnqueue(P, id, name, data, optsText, opts, now, extra, limit)
          local delay, priority = tonumber(opts.delay) or 0, tonumber(opts.priority) or 0
          local fields = {"name", name, "data", data, "opts", optsText, "timestamp", now, "delay", delay, "priority", priority}
          for _, value in ipairs(extra) do table.insert(fields, value) end
          redis.call("HSET", P .. id, unpack(fields))
          emit(P, limit, "event", "added", "jobId", id, "name", name)
          if delay > 0 then
            addDelayed(P, id, now + delay, limit)
          else
            enqueue(P, id, priority, opts.lifo == true)
            markReady(P)
            emit(P, limit, "event", "waiting", "jobId", id)
          end
        end

        -- Decodes a JSON object leniently (anything else reads as an empty table).
        local function decodeObject(text)
          local ok, value = pcall(cjson.decode, text or "{}")
          if ok and type(value) == "table" then return value end
          return {}
        end
        """#
}

extension LuaLibrary {
    /// What happens around a finished job: retention of the finished sets and BullMQ's metrics.
    static let finishing = #"""
        -- Keeps the newest `keepCount` (-1: all) and drops those finished before now - keepAge s
        -- (-1: no age; 0 drops all finished until now, as BullMQ does); a dropped child no longer
        -- holds its parent back.
        local function applyRetention(P, set, keepCount, keepAge, keepLimit, now)
          local key = P .. set
          local function drop(ids)
            for _, id in ipairs(ids) do
              detachFromParent(P, id, false)
              deleteJobKeys(P, id)
            end
          end
          if keepAge >= 0 then
            local old = redis.call("ZRANGEBYSCORE", key, 0, num(now - keepAge * 1000), "LIMIT", 0, keepLimit)
            drop(old)
            if #old > 0 then redis.call("ZREM", key, unpack(old)) end
          end
          if keepCount >= 0 then
            local extra = redis.call("ZREVRANGE", key, keepCount, -1)
            drop(extra)
            if #extra > 0 then redis.call("ZREMRANGEBYRANK", key, 0, #extra - 1) end
          end
        end

        -- BullMQ's queue metrics, which dashboards chart: `metrics:<target>` holds the running `count`,
        -- and the count and time of the last sample (`prevCount`, `prevTS`); `metrics:<target>:data`
        -- lists per-minute deltas, newest first, at most `maxPoints` of them. A sample is taken when a
        -- job finishes in a later minute than the last sample: the delta since then, then a zero for
        -- each further minute that passed.
        local function recordMetrics(P, target, now, maxPoints)
          local key = P .. "metrics:" .. target
          local before = bump(key, "count") - 1
          local sampledAt = tonumber(redis.call("HGET", key, "prevTS"))
          if not sampledAt then
            redis.call("HSET", key, "prevTS", num(now), "prevCount", 0)
            return
          end
          local minutes = math.min(math.floor(now / 60000) - math.floor(sampledAt / 60000), maxPoints)
          if minutes <= 0 then return end
          local points = {before - (tonumber(redis.call("HGET", key, "prevCount")) or 0)}
          for i = 2, minutes do points[i] = 0 end
          for i = 1, #points, 5000 do
            redis.call("LPUSH", key .. ":data", unpack(points, i, math.min(i + 4999, #points)))
          end
          redis.call("LTRIM", key .. ":data", 0, maxPoints - 1)
          redis.call("HSET", key, "prevCount", before, "prevTS", num(now))
        end
        """#
}

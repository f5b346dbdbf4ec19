extension LuaLibrary {
    /// Deduplication: `de:<id>` holds the id of the job that owns the deduplication id; with
    /// `keepLastIfActive`, `dn:<id>` keeps the newest payload added while that job was active, and
    /// it becomes a job when the owner finishes.
    static let deduplication = #"""
        -- A finishing job gives up its key unless a TTL still throttles (an expiring key goes anyway).
        local function releaseDedupOnFinish(P, id, dedupId)
          if not dedupId then return end
          local key = P .. "de:" .. dedupId
          local ttl = redis.call("PTTL", key)
          if ttl == 0 or (ttl == -1 and redis.call("GET", key) == id) then redis.call("DEL", key) end
        end

        -- A removed job gives up its key (whatever its TTL) and drops the payload waiting behind it.
        -- Call it before the job's hash is deleted.
        local function releaseDedupOnRemoval(P, id)
          local dedupId = redis.call("HGET", P .. id, "deid")
          if not dedupId then return end
          local key = P .. "de:" .. dedupId
          if redis.call("GET", key) == id then redis.call("DEL", key, P .. "dn:" .. dedupId) end
        end

        -- Points the key at `id`: without expiry for keepLastIfActive (it must outlive an active job) or
        -- without a ttl, else for ttl ms.
        local function takeDedup(key, id, ttl, keepLast)
          if keepLast or ttl <= 0 then
            redis.call("SET", key, id)
          else
            redis.call("SET", key, id, "PX", ttl)
          end
        end

        -- keepLastIfActive while the owner is active: the newest add waits in `dn:<id>` (replacing an
        -- older one) and the key stops expiring until the owner finishes. Returns whether it was kept.
        local function keepPendingIfActive(P, owner, id, d, job, limit)
          if not d.keepLast or not redis.call("LPOS", P .. "active", owner) then return false end
          local pendingKey = P .. "dn:" .. d.id
          local fields = {"name", job.name, "data", job.data, "opts", job.opts, "jid", id}
          if job.parentKey ~= "" then
            for _, value in ipairs({"pk", job.parentKey, "pd", job.parentJSON, "pdk", job.parentKey .. ":dependencies"}) do
              table.insert(fields, value)
            end
          end
          redis.call("DEL", pendingKey)
          redis.call("HSET", pendingKey, unpack(fields))
          redis.call("PERSIST", P .. "de:" .. d.id)
          emit(P, limit, "event", "deduplicated", "jobId", owner, "deduplicationId", d.id, "deduplicatedJobId", id)
          return true
        end

        -- Decides an add with deduplication `d` ({id, ttl, extend, replace, keepLast}) for job `id`:
        -- returns the owner's id when the add is dropped, nil when it goes ahead (the key then names
        -- `id`). `job` has name, data, opts, parentKey and parentJSON, for a payload kept for later.
        local function claimDedup(P, id, d, job, limit)
          local key = P .. "de:" .. d.id
          local owner = redis.call("GET", key)
          if not owner then
            takeDedup(key, id, d.ttl, d.keepLast)
            return nil
          end
          -- Stale: a key without expiry whose owner vanished (e.g. lost in an outage); its kept
          -- payload would otherwise come back when the new owner finishes.
          if redis.call("PTTL", key) == -1 and redis.call("EXISTS", P .. owner) == 0 then
            redis.call("DEL", P .. "dn:" .. d.id)
            takeDedup(key, id, d.ttl, d.keepLast)
            return nil
          end
          if d.replace then
            if redis.call("ZREM", P .. "delayed", owner) == 1 then
              deleteJobKeys(P, owner)
              emit(P, limit, "event", "removed", "jobId", owner, "prev", "delayed")
              emit(P, limit, "event", "deduplicated", "jobId", id, "deduplicationId", d.id, "deduplicatedJobId", owner)
              redis.call("DEL", P .. "dn:" .. d.id)
              if not d.keepLast and not d.extend and d.ttl > 0 then
                redis.call("SET", key, id, "KEEPTTL")  -- the window keeps running unless `extend`
              else
                takeDedup(key, id, d.ttl, d.keepLast)
              end
              return nil
            end
            -- Nothing to replace: the add is dropped quietly, the key untouched.
            keepPendingIfActive(P, owner, id, d, job, limit)
            return owner
          end
          if keepPendingIfActive(P, owner, id, d, job, limit) then return owner end
          if d.extend and d.ttl > 0 then takeDedup(key, owner, d.ttl, d.keepLast) end
          emit(P, limit, "event", "deduplicated", "jobId", owner, "deduplicationId", d.id, "deduplicatedJobId", id)
          return owner
        end

        -- keepLastIfActive: once the owner finished, the payload kept meanwhile becomes a job (under the
        -- id its add got) and owns the key.
        local function requeuePending(P, dedupId, now, limit)
          local pendingKey = P .. "dn:" .. dedupId
          if redis.call("EXISTS", pendingKey) == 0 then return end
          local kept = redis.call("HMGET", pendingKey, "name", "data", "opts", "jid", "pk", "pd", "pdk", "rjk")
          local counter = redis.call("INCR", P .. "id")
          local id = kept[4] or tostring(counter)
          local opts = decodeObject(kept[3])
          local de = type(opts.de) == "table" and opts.de or {}
          takeDedup(P .. "de:" .. dedupId, id, tonumber(de.ttl) or 0, de.keepLastIfActive == true)
          local extra = {"deid", dedupId}
          if kept[5] then
            table.insert(extra, "parentKey"); table.insert(extra, kept[5])
            if kept[6] then table.insert(extra, "parent"); table.insert(extra, kept[6]) end
          end
          if kept[8] then table.insert(extra, "rjk"); table.insert(extra, kept[8]) end
          storeAndEnqueue(P, id, kept[1] or "", kept[2] or "{}", kept[3] or "{}", opts, now, extra, limit)
          if kept[7] then redis.call("SADD", kept[7], P .. id) end
          redis.call("DEL", pendingKey)
        end
        """#
}

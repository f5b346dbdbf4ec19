import RedisClient

extension QueueScript {
    /// ARGV: P, "pause"|"resume".
    static let pause = make("pause", #"""
local P, action = ARGV[1], ARGV[2]
local limit = maxEvents(P)
if action == "pause" then
  redis.call("HSET", P .. "meta", "paused", 1)
  redis.call("DEL", P .. "marker")
  emit(P, limit, "event", "paused")
else
  redis.call("HDEL", P .. "meta", "paused")
  -- Older producers parked jobs in a `paused` list; fold it back into wait.
  if redis.call("EXISTS", P .. "paused") == 1 then
    if redis.call("LLEN", P .. "wait") == 0 then
      redis.call("RENAME", P .. "paused", P .. "wait")
    else
      for _ = 1, 7000 do
        if not redis.call("RPOPLPUSH", P .. "paused", P .. "wait") then break end
      end
    end
  end
  if redis.call("LLEN", P .. "wait") + redis.call("ZCARD", P .. "prioritized") > 0 then
    redis.call("ZADD", P .. "marker", 0, "0")
  else
    markNextDelayed(P)
  end
  emit(P, limit, "event", "resumed")
end
return 0
"""#)

    /// ARGV: P, id. Returns 0, -1 (no job) or -3 (not delayed).
    static let promote = make("promote", #"""
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

    /// ARGV: P, id, now. Returns 1 removed, 0 refused (the job is locked by a worker), -1 no job.
    static let removeJob = make("removeJob", #"""
local P, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call("EXISTS", P .. id) == 0 then return -1 end
if redis.call("EXISTS", P .. id .. ":lock") == 1 then return 0 end
local prev = "unknown"
for _, state in ipairs({"completed", "waiting-children", "delayed", "failed", "prioritized"}) do
  if redis.call("ZREM", P .. state, id) == 1 then prev = state break end
end
if prev == "unknown" then
  for _, state in ipairs({"wait", "paused", "active"}) do
    if redis.call("LREM", P .. state, 0, id) > 0 then prev = state break end
  end
end
releaseDedup(P, id)
-- A removed child no longer holds its parent back.
local parent = parentOf(P, id)
if parent and redis.call("SREM", parent.key .. ":dependencies", P .. id) == 1
    and redis.call("SCARD", parent.key .. ":dependencies") == 0 then
  releaseParent(parent, now)
end
deleteJobKeys(P, id)
redis.call("SREM", P .. "stalled", id)
emit(P, maxEvents(P), "event", "removed", "jobId", id, "prev", prev)
return 1
"""#)

    /// Removes jobs of one state finished (or created) before `olderThan`. ARGV: P, state,
    /// olderThan ms, limit (0: no limit). Returns the removed ids.
    static let clean = make("clean", #"""
local P, state, olderThan, max = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if max <= 0 then max = 1000000000 end
local removed = {}
local function timeOf(id, fields)
  local values = redis.call("HMGET", P .. id, unpack(fields))
  for _, value in ipairs(values) do
    if value then return tonumber(value) end
  end
  return nil
end
local function drop(id)
  releaseDedup(P, id)
  deleteJobKeys(P, id)
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
    if not locked and (at == nil or at <= olderThan) and not redis.call("HGET", P .. id, "rjk") then
      redis.call("LREM", P .. state, 0, id)
      drop(id)
    end
  end
elseif state == "delayed" or state == "prioritized" or state == "waiting-children" then
  local ids = redis.call("ZRANGE", P .. state, 0, -1)
  for _, id in ipairs(ids) do
    if #removed >= max then break end
    local at = timeOf(id, state == "delayed" and {"processedOn", "timestamp"} or {"timestamp"})
    if (at == nil or at <= olderThan) and not redis.call("HGET", P .. id, "rjk") then
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

    /// ARGV: P, include delayed (0/1). Removes waiting, prioritized (and delayed) jobs.
    static let drain = make("drain", #"""
local P, delayed = ARGV[1], ARGV[2] == "1"
local function dropAll(ids)
  for _, id in ipairs(ids) do
    if not redis.call("HGET", P .. id, "rjk") then releaseDedup(P, id); deleteJobKeys(P, id) end
  end
end
dropAll(redis.call("LRANGE", P .. "wait", 0, -1)); redis.call("DEL", P .. "wait")
dropAll(redis.call("LRANGE", P .. "paused", 0, -1)); redis.call("DEL", P .. "paused")
dropAll(redis.call("ZRANGE", P .. "prioritized", 0, -1)); redis.call("DEL", P .. "prioritized", P .. "pc")
if delayed then
  dropAll(redis.call("ZRANGE", P .. "delayed", 0, -1)); redis.call("DEL", P .. "delayed")
end
return 0
"""#)

    /// Deletes a paused queue in batches. ARGV: P, batch, force (0/1). Returns 1 while keys
    /// remain, 0 when done, -1 when not paused, -2 when jobs are active and not forced.
    static let obliterate = make("obliterate", #"""
local P, batch, force = ARGV[1], tonumber(ARGV[2]), ARGV[3] == "1"
if redis.call("HEXISTS", P .. "meta", "paused") == 0 then return -1 end
if not force and redis.call("LLEN", P .. "active") > 0 then return -2 end
local budget = batch
for _, list in ipairs({"active", "wait", "paused"}) do
  local ids = redis.call("LRANGE", P .. list, 0, budget - 1)
  for _, id in ipairs(ids) do deleteJobKeys(P, id) end
  if #ids > 0 then redis.call("LTRIM", P .. list, #ids, -1) end
  budget = budget - #ids
  if budget <= 0 then return 1 end
end
for _, set in ipairs({"delayed", "completed", "failed", "prioritized", "waiting-children"}) do
  local ids = redis.call("ZRANGE", P .. set, 0, budget - 1)
  for _, id in ipairs(ids) do deleteJobKeys(P, id) end
  if #ids > 0 then redis.call("ZREMRANGEBYRANK", P .. set, 0, #ids - 1) end
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

    /// Re-runs one finished job. ARGV: P, id, state ("failed"|"completed"), reset attempts (0/1).
    /// Returns 0, -1 (no job) or -3 (not in that state).
    static let reprocessJob = make("reprocessJob", #"""
local P, id, state, reset = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == "1"
if redis.call("EXISTS", P .. id) == 0 then return -1 end
if redis.call("ZREM", P .. state, id) == 0 then return -3 end
redis.call("HDEL", P .. id, "finishedOn", "processedOn", state == "failed" and "failedReason" or "returnvalue")
if reset then redis.call("HDEL", P .. id, "atm", "ats", "stc") end
local priority = tonumber(redis.call("HGET", P .. id, "priority") or "0") or 0
enqueue(P, id, priority, jobOptsFlag(P, id, "lifo") == true)
markReady(P)
emit(P, maxEvents(P), "event", "waiting", "jobId", id, "prev", state)
return 0
"""#)

    /// Moves up to `count` jobs finished at or before `until` back to wait. ARGV: P, state,
    /// count, until ms. Returns 1 while more remain, else 0.
    static let retryJobs = make("retryJobs", #"""
local P, state, count, untilMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local ids = redis.call("ZRANGEBYSCORE", P .. state, 0, untilMs, "LIMIT", 0, count)
local limit = maxEvents(P)
for _, id in ipairs(ids) do
  redis.call("ZREM", P .. state, id)
  redis.call("HDEL", P .. id, "finishedOn", "processedOn", state == "failed" and "failedReason" or "returnvalue")
  redis.call("LPUSH", P .. "wait", id)
  emit(P, limit, "event", "waiting", "jobId", id, "prev", state)
end
if #ids > 0 then markReady(P) end
if #ids == count and #redis.call("ZRANGEBYSCORE", P .. state, 0, untilMs, "LIMIT", 0, 1) > 0 then return 1 end
return 0
"""#)

    /// ARGV: P, id. Returns the state name BullMQ reports.
    static let getState = make("getState", #"""
return stateOf(ARGV[1], ARGV[2])
"""#)

    /// A job's hash and state from the first of several queues (prefixes `ARGV[2...]`) that has
    /// it, in one round trip: `{queue index (1-based), state, fields}` or false. A key that is not
    /// a job's hash (a queue's own `meta`, `events`, …) is no job.
    static let findJob = make("findJob", #"""
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

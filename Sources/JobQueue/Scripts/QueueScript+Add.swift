import RedisClient

extension QueueScript {
    /// Adds one job. ARGV: P, name, data, opts, timestamp, delay, priority, lifo (0/1), custom id
    /// ("" for auto), dedup id, dedup ttl ms (0 none), dedup extend (0/1), dedup replace (0/1),
    /// parent key ("" none), parent JSON, has children (0/1: waits in waiting-children).
    /// Returns {id, outcome}: outcome 0 added, 1 duplicate custom id, 2 deduplicated; or
    /// {"", -5} when the parent is missing and {"", -7} when the job belongs to another parent.
    static let addJob = make("addJob", #"""
local P, name, data, opts = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local timestamp, delay, priority = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local lifo, customId = ARGV[8] == "1", ARGV[9]
local dedupId, dedupTtl, dedupExtend, dedupReplace = ARGV[10], tonumber(ARGV[11]), ARGV[12] == "1", ARGV[13] == "1"
local parentKey, parentJSON, hasChildren = ARGV[14], ARGV[15], ARGV[16] == "1"
if parentKey ~= "" and redis.call("EXISTS", parentKey) == 0 then return {"", -5} end
local limit = maxEvents(P)
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
  local key = P .. "de:" .. dedupId
  local owner = redis.call("GET", key)
  if owner and redis.call("PTTL", key) == -1 and redis.call("EXISTS", P .. owner) == 0 then
    redis.call("DEL", key)  -- stale: the owner is gone
    owner = nil
  end
  if owner then
    if dedupReplace and redis.call("ZSCORE", P .. "delayed", owner) then
      redis.call("ZREM", P .. "delayed", owner)
      deleteJobKeys(P, owner)
      emit(P, limit, "event", "removed", "jobId", owner, "prev", "delayed")
      emit(P, limit, "event", "deduplicated", "jobId", id, "deduplicationId", dedupId, "deduplicatedJobId", owner)
      redis.call("DEL", key)
    else
      if dedupExtend and dedupTtl > 0 then redis.call("PEXPIRE", key, dedupTtl) end
      emit(P, limit, "event", "deduplicated", "jobId", owner, "deduplicationId", dedupId, "deduplicatedJobId", id)
      return {owner, 2}
    end
  end
  if dedupTtl > 0 then
    redis.call("SET", key, id, "PX", dedupTtl, "NX")
  else
    redis.call("SET", key, id, "NX")
  end
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
  addDelayed(P, id, due)
  emit(P, limit, "event", "delayed", "jobId", id, "delay", num(due))
else
  enqueue(P, id, priority, lifo)
  markReady(P)
  emit(P, limit, "event", "waiting", "jobId", id)
end
return {id, 0}
"""#)
}

import RedisClient

extension QueueScript {
    /// Adds an iteration job of a scheduler (shared by upsert and advance).
    static let schedulerIterationLibrary = #"""
local function addIteration(P, schedulerId, next, now, name, data, opts, priority, limit)
  local jobId = "repeat:" .. schedulerId .. ":" .. num(next)
  redis.call("INCR", P .. "id")
  if redis.call("EXISTS", P .. jobId) == 1 then
    emit(P, limit, "event", "duplicated", "jobId", jobId)
    return jobId, false
  end
  local delay = math.max(0, next - now)
  redis.call("HSET", P .. jobId, "name", name, "data", data, "opts", opts, "timestamp", now, "delay", delay,
    "priority", priority, "rjk", schedulerId)
  emit(P, limit, "event", "added", "jobId", jobId, "name", name)
  if delay > 0 then
    addDelayed(P, jobId, next)
    emit(P, limit, "event", "delayed", "jobId", jobId, "delay", num(next))
  else
    enqueue(P, jobId, priority, false)
    markReady(P)
    emit(P, limit, "event", "waiting", "jobId", jobId)
  end
  return jobId, true
end

-- Removes a scheduler's pending iteration unless a worker holds it.
local function dropPendingIteration(P, schedulerId)
  local previous = redis.call("ZSCORE", P .. "repeat", schedulerId)
  if not previous then return end
  local jobId = "repeat:" .. schedulerId .. ":" .. num(tonumber(previous))
  if redis.call("EXISTS", P .. jobId .. ":lock") == 1 then return end
  local removed = redis.call("ZREM", P .. "delayed", jobId) + redis.call("ZREM", P .. "prioritized", jobId)
    + redis.call("LREM", P .. "wait", 0, jobId)
  if removed > 0 then
    deleteJobKeys(P, jobId)
    emit(P, maxEvents(P), "event", "removed", "jobId", jobId, "prev", "delayed")
  end
end
"""#

    /// Creates or replaces a scheduler. ARGV: P, scheduler id, next ms, now, job name, template
    /// data JSON, template opts JSON ("" none), iteration opts JSON, priority, then the record's
    /// field/value pairs (every or pattern, tz, limit, offset, startDate, endDate).
    /// Returns {iteration job id, delay}.
    static let upsertJobScheduler = make("upsertJobScheduler", schedulerIterationLibrary + "\n" + #"""
local P, schedulerId, next, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local name, data, templateOpts, opts, priority = ARGV[5], ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9])
local recordKey = P .. "repeat:" .. schedulerId
local limit = maxEvents(P)
dropPendingIteration(P, schedulerId)
local iterations = redis.call("HGET", recordKey, "ic")
redis.call("DEL", recordKey)
local fields = {"name", name}
for i = 10, #ARGV, 2 do table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1]) end
if templateOpts ~= "" then table.insert(fields, "opts"); table.insert(fields, templateOpts) end
if data ~= "{}" then table.insert(fields, "data"); table.insert(fields, data) end
if iterations then table.insert(fields, "ic"); table.insert(fields, iterations) end
redis.call("HSET", recordKey, unpack(fields))
redis.call("HINCRBY", recordKey, "ic", 1)
redis.call("ZADD", P .. "repeat", num(next), schedulerId)
local jobId = addIteration(P, schedulerId, next, now, name, data, opts, priority, limit)
return {jobId, math.max(0, next - now)}
"""#)

    /// Adds the next iteration when a worker fetched the current one. ARGV: P, scheduler id,
    /// fetched job id, next ms, now, data JSON, iteration opts JSON, priority.
    /// Returns the new iteration's id, or "" when the scheduler is gone or already advanced.
    static let advanceJobScheduler = make("advanceJobScheduler", schedulerIterationLibrary + "\n" + #"""
local P, schedulerId, producerId, next, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local data, opts, priority = ARGV[6], ARGV[7], tonumber(ARGV[8])
local recordKey = P .. "repeat:" .. schedulerId
if redis.call("EXISTS", recordKey) == 0 then return "" end
local current = redis.call("ZSCORE", P .. "repeat", schedulerId)
if not current or "repeat:" .. schedulerId .. ":" .. num(tonumber(current)) ~= producerId then return "" end
redis.call("ZADD", P .. "repeat", num(next), schedulerId)
redis.call("HINCRBY", recordKey, "ic", 1)
local name = redis.call("HGET", recordKey, "name") or ""
local jobId = addIteration(P, schedulerId, next, now, name, data, opts, priority, maxEvents(P))
return jobId
"""#)

    /// ARGV: P, scheduler id. Returns 0 removed, 1 when there was no such scheduler.
    static let removeJobScheduler = make("removeJobScheduler", schedulerIterationLibrary + "\n" + #"""
local P, schedulerId = ARGV[1], ARGV[2]
dropPendingIteration(P, schedulerId)
local existed = redis.call("ZREM", P .. "repeat", schedulerId) + redis.call("DEL", P .. "repeat:" .. schedulerId)
if existed == 0 then return 1 end
return 0
"""#)
}

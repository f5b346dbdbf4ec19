import RedisClient

extension QueueScript {
    /// Shared by the scheduler scripts: the slots of `every` schedulers and the iteration jobs.
    static let schedulerLibrary = #"""
        -- The next slot of an `every` scheduler after `previous` (nil: a new schedule). Slots sit at
        -- multiples of `every` shifted by `offset` (0: the offset of the first slot, which is now or the
        -- start date); missed slots collapse into the next one due. Returns next, offset.
        local function nextEverySlot(previous, every, now, offset, startDate)
          local next
          local function alignedAfterNow()
            local slot = math.floor(now / every) * every + offset
            if slot <= now then slot = slot + every end
            return slot
          end
          if previous then
            next = previous + every
            if next < now then next = alignedAfterNow() end
          elseif startDate then
            next = math.max(startDate, now)
          elseif offset > 0 then
            next = alignedAfterNow()
          else
            next = now
          end
          if offset == 0 then offset = next - math.floor(next / every) * every end
          return math.floor(next), math.floor(offset)
        end

        -- Adds the iteration job `repeat:<scheduler>:<next>` from the template options `optsText`:
        -- its id, delay, prevMillis, timestamp and repeat.count/offset are set here.
        local function addIteration(P, schedulerId, next, now, name, data, optsText, count, offset, limit)
          local jobId = "repeat:" .. schedulerId .. ":" .. num(next)
          redis.call("INCR", P .. "id")
          local opts = decodeObject(optsText)
          opts.jobId = jobId
          opts.delay = math.max(0, next - now)
          opts.prevMillis = next
          opts.timestamp = now
          if type(opts["repeat"]) ~= "table" then opts["repeat"] = {} end
          opts["repeat"].count = count
          if offset then opts["repeat"].offset = offset end
          storeAndEnqueue(P, jobId, name, data, cjson.encode(opts), opts, now, {"rjk", schedulerId}, limit)
          return jobId
        end

        -- Where a scheduler's iteration waits to run (delayed, prioritized or wait), or nil.
        local function pendingStateOf(P, jobId)
          for _, state in ipairs({"delayed", "prioritized"}) do
            if redis.call("ZSCORE", P .. state, jobId) then return state end
          end
          for _, state in ipairs({"wait", "paused"}) do
            if redis.call("LPOS", P .. state, jobId) then return state end
          end
          return nil
        end

        local function takeOutOfPending(P, jobId, state)
          if state == "delayed" or state == "prioritized" then
            redis.call("ZREM", P .. state, jobId)
          else
            redis.call("LREM", P .. state, 1, jobId)
          end
        end
        """#

    /// Creates or replaces a scheduler, as BullMQ v6 does: a replaced `every` scheduler whose
    /// iteration still waits keeps that slot (so re-upserting at every app start adds no run), `ic`
    /// is kept, and the replaced iteration goes without a `removed` event.
    /// ARGV: P, scheduler id, next ms (pattern; ignored for `every`), now, job name, template data
    /// JSON, template opts JSON ("" none), iteration opts JSON, offset ("" none), then the record's
    /// field/value pairs (every or pattern, tz, limit, startDate, endDate).
    /// Returns {iteration job id, delay}, {"", 0} when the end date has passed, -10 (the pattern's
    /// next slot holds a job) or -11 (32 `every` slots in a row hold jobs).
    static let upsertJobScheduler = make(
        "upsertJobScheduler",
        QueueScript.removalLibrary + "\n" + schedulerLibrary + "\n" + #"""
            local P, schedulerId, patternNext, now = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
            local name, data, templateOpts, iterationOpts = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
            local givenOffset = tonumber(ARGV[9])
            local record = {}
            for i = 10, #ARGV, 2 do record[ARGV[i]] = ARGV[i + 1] end
            local recordKey = P .. "repeat:" .. schedulerId
            local every = tonumber(record.every)
            local previous = redis.call("ZSCORE", P .. "repeat", schedulerId)
            previous = previous and tonumber(previous)
            local currentId = previous and ("repeat:" .. schedulerId .. ":" .. num(previous))
            local pending = currentId and pendingStateOf(P, currentId)

            local next, offset
            if every then
              local everyChanged = previous and tonumber(redis.call("HGET", recordKey, "every")) ~= every
              local base = previous
              if everyChanged then base = nil end
              next, offset = nextEverySlot(base, every, now, givenOffset or 0, tonumber(record.startDate))
              if pending and not everyChanged then next = previous end
            else
              next, offset = patternNext, givenOffset or 0
            end
            -- A replaced iteration keeps the stored offset unless one is given.
            if pending then offset = givenOffset or tonumber(redis.call("HGET", recordKey, "offset")) end
            if record.endDate and next > tonumber(record.endDate) then return {"", 0} end

            local jobId = "repeat:" .. schedulerId .. ":" .. num(next)
            if (jobId ~= currentId or not pending) and redis.call("EXISTS", P .. jobId) == 1 then
              if not every then return -10 end
              local scanned = 0
              repeat
                next = next + every
                jobId = "repeat:" .. schedulerId .. ":" .. num(next)
                scanned = scanned + 1
              until redis.call("EXISTS", P .. jobId) == 0 or scanned >= 32
              if redis.call("EXISTS", P .. jobId) == 1 then return -11 end
            end

            if pending then
              takeOutOfPending(P, currentId, pending)
              discardJob(P, currentId)
            end
            local iterations = redis.call("HGET", recordKey, "ic") or "1"
            redis.call("DEL", recordKey)
            local fields = {"name", name}
            for i = 10, #ARGV, 2 do table.insert(fields, ARGV[i]); table.insert(fields, ARGV[i + 1]) end
            if offset then table.insert(fields, "offset"); table.insert(fields, num(offset)) end
            if templateOpts ~= "" then table.insert(fields, "opts"); table.insert(fields, templateOpts) end
            if data ~= "{}" then table.insert(fields, "data"); table.insert(fields, data) end
            table.insert(fields, "ic"); table.insert(fields, iterations)
            redis.call("HSET", recordKey, unpack(fields))
            redis.call("ZADD", P .. "repeat", num(next), schedulerId)
            addIteration(P, schedulerId, next, now, name, data, iterationOpts, tonumber(iterations), offset, maxEvents(P))
            return {jobId, math.max(0, next - now)}
            """#)

    /// Adds the next iteration when a worker fetched the current one (only the fetch of the
    /// current iteration advances, so one worker does it). ARGV: P, scheduler id, fetched job id,
    /// next ms (pattern; ignored for `every`, 0: the pattern has no further run), now, iteration
    /// opts JSON. Returns the new iteration's id, or "" when the scheduler is gone, done (limit,
    /// end date) or already advanced.
    static let advanceJobScheduler = make(
        "advanceJobScheduler",
        schedulerLibrary + "\n" + #"""
            local P, schedulerId, producerId, next, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
            local iterationOpts = ARGV[6]
            local recordKey = P .. "repeat:" .. schedulerId
            local current = redis.call("ZSCORE", P .. "repeat", schedulerId)
            if not current or "repeat:" .. schedulerId .. ":" .. num(tonumber(current)) ~= producerId then return "" end
            local record = redis.call("HMGET", recordKey, "name", "data", "every", "startDate", "offset", "limit", "endDate", "ic")
            if not record[1] then return "" end
            if record[6] and (tonumber(record[8]) or 0) >= tonumber(record[6]) then return "" end
            local every, offset = tonumber(record[3]), tonumber(record[5])
            if every then next, offset = nextEverySlot(tonumber(current), every, now, offset or 0, tonumber(record[4])) end
            if not next or next <= 0 then return "" end
            if record[7] and next > tonumber(record[7]) then return "" end
            local limit = maxEvents(P)
            local jobId = "repeat:" .. schedulerId .. ":" .. num(next)
            if redis.call("EXISTS", P .. jobId) == 1 then
              emit(P, limit, "event", "duplicated", "jobId", jobId)
              return ""
            end
            redis.call("ZADD", P .. "repeat", num(next), schedulerId)
            local count = bump(recordKey, "ic")
            return addIteration(P, schedulerId, next, now, record[1], record[2] or "{}", iterationOpts, count, offset, limit)
            """#)

    /// Removes a scheduler and its waiting iteration (an active one finishes). ARGV: P, scheduler
    /// id. Returns 0 removed, 1 when there was no such scheduler.
    static let removeJobScheduler = make(
        "removeJobScheduler",
        schedulerLibrary + "\n" + #"""
            local P, schedulerId = ARGV[1], ARGV[2]
            local previous = redis.call("ZSCORE", P .. "repeat", schedulerId)
            if previous then
              local jobId = "repeat:" .. schedulerId .. ":" .. num(tonumber(previous))
              local pending = pendingStateOf(P, jobId)
              if pending then
                takeOutOfPending(P, jobId, pending)
                deleteJobKeys(P, jobId)
                emit(P, maxEvents(P), "event", "removed", "jobId", jobId, "prev", pending)
              end
            end
            local existed = redis.call("ZREM", P .. "repeat", schedulerId) + redis.call("DEL", P .. "repeat:" .. schedulerId)
            if existed == 0 then return 1 end
            return 0
            """#)
}

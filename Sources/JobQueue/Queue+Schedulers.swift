import ErrorCodes
import RedisClient

extension Queue {
    /// Creates or replaces the scheduler `id`: it keeps one pending iteration job
    /// (`repeat:<id>:<ms>`), and a worker adds the next one when it fetches the current one.
    /// Replacing it as BullMQ v6 does: an `every` scheduler whose iteration still waits keeps that
    /// slot, so upserting the same settings at every start adds no run; `ic` is kept.
    /// Returns the pending iteration's id, or nil when the scheduler has nothing left to run.
    @discardableResult
    public func upsertJobScheduler(
        _ id: String, repeat schedule: RepeatOptions, name: String, data: JSONValue = .object([:]),
        options: JobOptions = JobOptions()
    ) async throws -> String? {
        guard !id.isEmpty, !id.contains(":") else { throw JobQueueError(.invalidOptions, "scheduler id '\(id)' must be non-empty and contain no ':'") }
        try JobScheduling.validate(schedule)
        let now = clock.nowMilliseconds()
        if let end = schedule.endDate, now > end { return nil }
        var next = 0  // `every`: the script aligns the slot
        if schedule.pattern != nil {
            guard let first = try JobScheduling.firstPatternRun(schedule, now: now) else { return nil }
            next = first
        }
        let iteration = JobScheduling.iterationOptions(schedulerId: id, schedule: schedule, template: options, next: max(next, now), iteration: 1, now: now)
        let call = UpsertJobSchedulerCall(
            schedulerId: id, next: next, now: now, jobName: name, data: data.jsonText,
            templateOptions: options.json.objectValue?.isEmpty == false ? options.json.jsonText : "", iterationOptions: iteration.json.jsonText,
            offset: schedule.offset.map(String.init) ?? "", record: JobScheduling.recordFields(schedule).map { (field: $0.0, value: $0.1) })
        let reply = try await redis.run(call, on: keys).throwingServerError()
        if let code = reply.int, code < 0 { throw JobQueueError.scriptCode(code, jobId: id, operation: "upsertJobScheduler") }
        return reply.array?.first?.string.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Removes a scheduler and its pending iteration; false when there was none.
    @discardableResult
    public func removeJobScheduler(_ id: String) async throws -> Bool {
        try await redis.evalScript(QueueScript.removeJobScheduler, keys: keys.scriptKeys, arguments: [RedisArgument(keys.base), RedisArgument(id)])
            .throwingServerError().int == 0
    }

    public func getJobScheduler(_ id: String) async throws -> JobSchedulerRecord? {
        let replies = try await redis.pipeline([
            ["HGETALL", RedisArgument(keys.key("repeat:" + id))], ["ZSCORE", RedisArgument(keys.key("repeat")), RedisArgument(id)],
        ])
        let flat = replies.first?.array?.compactMap(\.string) ?? []
        guard !flat.isEmpty else { return nil }
        return JobSchedulerRecord(id: id, fields: Job.fieldMap(flat), next: replies.last?.string.flatMap { Double($0) }.map { Int(clampingScore: $0) })
    }

    public func getJobSchedulers() async throws -> [JobSchedulerRecord] {
        let ids = try await redis.command(["ZRANGE", RedisArgument(keys.key("repeat")), 0, -1]).array?.compactMap(\.string) ?? []
        var records: [JobSchedulerRecord] = []
        for id in ids {
            if let record = try await getJobScheduler(id) { records.append(record) }
        }
        return records
    }

    /// Adds the iteration after `job` (fetched by a worker); nil when the scheduler is done,
    /// gone, or already advanced by another worker. `every` slots are computed by the script from
    /// the stored schedule, cron runs here.
    @discardableResult
    func advanceJobScheduler(after job: Job) async throws -> String? {
        guard let schedulerId = job.schedulerId, let record = try await getJobScheduler(schedulerId) else { return nil }
        let now = clock.nowMilliseconds()
        var next = 0
        if record.repeatOptions.pattern != nil {
            let previous = job.options.extra["prevMillis"]?.intValue ?? Int(job.id.split(separator: ":").last ?? "") ?? now
            guard let run = try JobScheduling.nextPatternRun(record.repeatOptions, after: max(previous, now)) else { return nil }
            next = run
        }
        let iteration = JobScheduling.iterationOptions(
            schedulerId: schedulerId, schedule: record.repeatOptions, template: record.options, next: max(next, now),
            iteration: record.iterationCount + 1, now: now)
        let call = AdvanceJobSchedulerCall(schedulerId: schedulerId, jobId: job.id, next: next, now: now, iterationOptions: iteration.json.jsonText)
        let reply = try await redis.run(call, on: keys).throwingServerError()
        return reply.string.flatMap { $0.isEmpty ? nil : $0 }
    }
}

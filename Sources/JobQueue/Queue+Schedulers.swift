import RedisClient

extension Queue {
    /// Creates or replaces the scheduler `id`: it keeps one pending iteration job
    /// (`repeat:<id>:<ms>`), and a worker adds the next one when it fetches the current one.
    /// Returns the pending iteration's id, or nil when the scheduler has nothing left to run.
    @discardableResult
    public func upsertJobScheduler(_ id: String, repeat schedule: RepeatOptions, name: String, data: JSONValue = .object([:]),
                                   options: JobOptions = JobOptions()) async throws -> String? {
        guard !id.isEmpty, !id.contains(":") else { throw JobQueueError(.invalidOptions, "scheduler id '\(id)' must be non-empty and contain no ':'") }
        try JobScheduling.validate(schedule)
        let now = clock.nowMilliseconds()
        guard let next = try JobScheduling.firstRun(schedule, now: now) else { return nil }
        if let end = schedule.endDate, next > end { return nil }
        let iteration = JobScheduling.iterationOptions(schedulerId: id, schedule: schedule, template: options, next: next, iteration: 1, now: now)
        var arguments: [RedisArgument] = [
            RedisArgument(keys.base), RedisArgument(id), RedisArgument(next), RedisArgument(now), RedisArgument(name),
            RedisArgument(data.jsonText), RedisArgument(options.json.objectValue?.isEmpty == false ? options.json.jsonText : ""),
            RedisArgument(iteration.json.jsonText), RedisArgument(options.priority),
        ]
        for (field, value) in JobScheduling.recordFields(schedule) {
            arguments.append(RedisArgument(field))
            arguments.append(RedisArgument(value))
        }
        let reply = try await redis.evalScript(QueueScript.upsertJobScheduler, keys: [], arguments: arguments).throwingServerError()
        return reply.array?.first?.string
    }

    /// Removes a scheduler and its pending iteration; false when there was none.
    @discardableResult
    public func removeJobScheduler(_ id: String) async throws -> Bool {
        try await redis.evalScript(QueueScript.removeJobScheduler, keys: [], arguments: [RedisArgument(keys.base), RedisArgument(id)])
            .throwingServerError().int == 0
    }

    public func getJobScheduler(_ id: String) async throws -> JobSchedulerRecord? {
        let replies = try await redis.pipeline([
            ["HGETALL", RedisArgument(keys.key("repeat:" + id))], ["ZSCORE", RedisArgument(keys.key("repeat")), RedisArgument(id)],
        ])
        let flat = replies.first?.array?.compactMap(\.string) ?? []
        guard !flat.isEmpty else { return nil }
        return JobSchedulerRecord(id: id, fields: Job.fieldMap(flat), next: replies.last?.string.flatMap { Double($0) }.map { Int($0) })
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
    /// gone, or already advanced by another worker.
    @discardableResult
    func advanceJobScheduler(after job: Job) async throws -> String? {
        guard let schedulerId = job.schedulerId, let record = try await getJobScheduler(schedulerId) else { return nil }
        let previous = job.options.extra["prevMillis"]?.intValue ?? Int(job.id.split(separator: ":").last ?? "") ?? clock.nowMilliseconds()
        let now = clock.nowMilliseconds()
        guard let next = try JobScheduling.nextRun(record.repeatOptions, after: previous, iterations: record.iterationCount, now: now) else {
            return nil
        }
        let iteration = JobScheduling.iterationOptions(
            schedulerId: schedulerId, schedule: record.repeatOptions, template: record.options, next: next,
            iteration: record.iterationCount + 1, now: now)
        let reply = try await redis.evalScript(QueueScript.advanceJobScheduler, keys: [], arguments: [
            RedisArgument(keys.base), RedisArgument(schedulerId), RedisArgument(job.id), RedisArgument(next), RedisArgument(now),
            RedisArgument(record.data.jsonText), RedisArgument(iteration.json.jsonText), RedisArgument(record.options.priority),
        ]).throwingServerError()
        return reply.string.flatMap { $0.isEmpty ? nil : $0 }
    }
}

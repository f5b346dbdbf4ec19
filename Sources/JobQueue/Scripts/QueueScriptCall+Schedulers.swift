import RedisClient

/// `upsertJobScheduler`: writes a scheduler and its first iteration.
struct UpsertJobSchedulerCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.upsertJobScheduler }
    var schedulerId: String
    /// When the first iteration runs (ms).
    var next: Int
    var now: Int
    var jobName: String
    var data: String
    /// The template's options JSON, or "" for none.
    var templateOptions: String
    /// The first iteration's options JSON.
    var iterationOptions: String
    /// The `every` offset, or "" for none.
    var offset: String
    /// The scheduler hash's fields (pattern, every, tz, limit, …).
    var record: [(field: String, value: String)]

    var arguments: [RedisArgument] {
        [
            RedisArgument(schedulerId), RedisArgument(next), RedisArgument(now), RedisArgument(jobName), RedisArgument(data),
            RedisArgument(templateOptions), RedisArgument(iterationOptions), RedisArgument(offset),
        ] + record.flatMap { [RedisArgument($0.field), RedisArgument($0.value)] }
    }
}

/// `advanceJobScheduler`: the iteration `jobId` ran; the next one is put in delayed.
struct AdvanceJobSchedulerCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.advanceJobScheduler }
    var schedulerId: String
    var jobId: String
    /// When the next iteration runs (ms; 0 for an `every` schedule, which the script times).
    var next: Int
    var now: Int
    var iterationOptions: String

    var arguments: [RedisArgument] {
        [RedisArgument(schedulerId), RedisArgument(jobId), RedisArgument(next), RedisArgument(now), RedisArgument(iterationOptions)]
    }
}

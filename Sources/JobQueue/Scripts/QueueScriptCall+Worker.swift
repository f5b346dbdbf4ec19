import RedisClient

/// A worker's limiter as the fetching scripts take it: zeros for none.
struct LimiterArguments: Sendable {
    var max = 0
    var durationMilliseconds = 0
}

/// `moveToActive`: takes the next job, locked with `token`.
struct FetchCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.moveToActive }
    var token: String
    var lockMilliseconds: Int
    var now: Int
    var limiter: LimiterArguments
    var workerName: String

    var arguments: [RedisArgument] {
        [
            RedisArgument(token), RedisArgument(lockMilliseconds), RedisArgument(now), RedisArgument(limiter.max),
            RedisArgument(limiter.durationMilliseconds), RedisArgument(workerName),
        ]
    }
}

/// `moveToFinished`: completes or fails an active job for good, and fetches the next one.
struct FinishCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.moveToFinished }
    var jobId: String
    var token: String
    /// "completed" or "failed".
    var target: String
    /// The return value's JSON, or the failure reason.
    var value: String
    var stacktrace: String
    var maxAttempts: Int
    var keep: (count: Int, age: Int, limit: Int)
    /// Whether to fetch the next job, locked with `nextToken`.
    var fetchNext: Bool
    var now: Int
    var lockMilliseconds: Int
    var limiter: LimiterArguments
    var nextToken: String
    var workerName: String
    var metricsDataPoints: Int

    var arguments: [RedisArgument] {
        [
            RedisArgument(jobId), RedisArgument(token), RedisArgument(target), RedisArgument(value), RedisArgument(stacktrace),
            RedisArgument(maxAttempts), RedisArgument(keep.count), RedisArgument(keep.age), RedisArgument(keep.limit),
            fetchNext ? "1" : "0", RedisArgument(now), RedisArgument(lockMilliseconds), RedisArgument(limiter.max),
            RedisArgument(limiter.durationMilliseconds), RedisArgument(nextToken), RedisArgument(workerName), RedisArgument(metricsDataPoints),
        ]
    }
}

/// `retryLater`: a failed attempt goes back to delayed (or wait) for another.
struct RetryLaterCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.retryLater }
    var jobId: String
    var token: String
    var reason: String
    var stacktrace: String
    var now: Int
    var backoffMilliseconds: Int

    var arguments: [RedisArgument] {
        [
            RedisArgument(jobId), RedisArgument(token), RedisArgument(reason), RedisArgument(stacktrace), RedisArgument(now),
            RedisArgument(backoffMilliseconds),
        ]
    }
}

/// `postpone`: the job goes back to delayed without using an attempt.
struct PostponeCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.postpone }
    var jobId: String
    var token: String
    var now: Int
    var delayMilliseconds: Int

    var arguments: [RedisArgument] { [RedisArgument(jobId), RedisArgument(token), RedisArgument(now), RedisArgument(delayMilliseconds)] }
}

/// `extendLocks`: renews the locks of the running jobs; answers the tokens whose lock is gone (a
/// job taken over by this same worker runs twice here, under two tokens).
struct ExtendLocksCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.extendLocks }
    var lockMilliseconds: Int
    var held: [(id: String, token: String)]

    var arguments: [RedisArgument] {
        [RedisArgument(lockMilliseconds)] + held.flatMap { [RedisArgument($0.id), RedisArgument($0.token)] }
    }
}

/// `moveStalledJobsToWait`: the fleet-wide stalled check, once per interval.
struct StalledCheckCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.moveStalledJobsToWait }
    var maxStalledCount: Int
    var intervalMilliseconds: Int
    var now: Int

    var arguments: [RedisArgument] { [RedisArgument(maxStalledCount), RedisArgument(intervalMilliseconds), RedisArgument(now)] }
}

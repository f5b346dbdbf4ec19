import RedisClient

/// `addJob` (and each job of `addJobs`): a new job with its options laid out for the script.
struct AddJobCall: QueueScriptCall {
    static var script: RedisScript { QueueScript.addJob }
    var name: String
    var data: String
    /// The options' JSON as the job hash keeps it (`opts`).
    var options: String
    var timestamp: Int
    var delay: Int
    var priority: Int
    var lifo: Bool
    /// A custom job id, or "" for the queue's counter.
    var jobId: String
    var deduplication: JobOptions.Deduplication?
    var parent: Queue.ParentLink?
    var hasChildren: Bool

    var arguments: [RedisArgument] {
        [
            RedisArgument(name), RedisArgument(data), RedisArgument(options), RedisArgument(timestamp), RedisArgument(delay),
            RedisArgument(priority), lifo ? "1" : "0", RedisArgument(jobId), RedisArgument(deduplication?.id ?? ""),
            RedisArgument(deduplication?.ttl ?? 0), deduplication?.extend == true ? "1" : "0", deduplication?.replace == true ? "1" : "0",
            RedisArgument(parent?.key ?? ""), RedisArgument(parent?.json ?? ""), hasChildren ? "1" : "0",
            deduplication?.keepLastIfActive == true ? "1" : "0",
        ]
    }
}

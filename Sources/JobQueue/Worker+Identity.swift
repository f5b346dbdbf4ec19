import Logging
import RedisClient

extension Worker {
    /// Writes `meta.version` as BullMQ's queues do (and the default event-stream length when the
    /// queue has none), so dashboards know the layout; a failure is logged, not fatal.
    func announceLayout() async {
        do {
            _ = try await redis.pipeline([
                ["HSET", RedisArgument(queue.keys.key("meta")), "version", RedisArgument(BullMQLayout.metaVersion)],
                ["HSETNX", RedisArgument(queue.keys.key("meta")), "opts.maxLenEvents", 10_000],
            ])
        } catch {
            logger.warning("could not write the queue's meta.version", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
        }
    }
}

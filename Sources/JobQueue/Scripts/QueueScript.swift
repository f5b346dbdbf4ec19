import RedisClient

/// One queue state transition as a Redis script: the shared library plus the script's body.
///
/// Every script takes the queue's key prefix (`bull:<queue>:`) as `ARGV[1]`; keys are built from
/// it inside the script, as BullMQ's own scripts do, so a hash-tagged prefix keeps a queue in one
/// Redis Cluster slot.
enum QueueScript {
    static func make(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: LuaLibrary.source + "\n-- " + name + "\n" + body)
    }
}

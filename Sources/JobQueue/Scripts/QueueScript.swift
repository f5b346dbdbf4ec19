import RedisClient

/// One queue state transition as a Redis script: the shared library plus the script's body.
///
/// Every call declares the queue's fixed keys (`QueueKeys.scriptKeys`) as KEYS, which puts the
/// script on the queue's Redis Cluster slot, and passes the queue's key base (`bull:<queue>:`) as
/// `ARGV[1]`; the scripts build keys from it (job hashes, locks), as BullMQ's build job keys from
/// their prefix argument. Those keys share the queue's hash tag on a cluster.
enum QueueScript {
    static func make(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: LuaLibrary.source + "\n-- " + name + "\n" + body)
    }
}

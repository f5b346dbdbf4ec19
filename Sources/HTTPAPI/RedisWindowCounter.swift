import RedisClient

/// A fixed-window counter in Redis, shared by every instance: one script increments a key and
/// starts its window on the first hit.
struct RedisWindowCounter: Sendable {
    let redis: RedisConnectionPool

    static let script = RedisScript(
        name: "rateLimitWindow",
        source: """
            local count = redis.call("INCR", KEYS[1])
            if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
            return {count, redis.call("PTTL", KEYS[1])}
            """)

    /// Counts one hit on `key`; returns the hits in the current window and the seconds until it ends.
    func hit(_ key: String, window: Duration) async throws -> (count: Int, retryAfterSeconds: Int) {
        let milliseconds = Int(window.components.seconds) * 1000
        let reply = try await redis.evalScript(Self.script, keys: [RedisArgument(key)], arguments: [RedisArgument(milliseconds)]).array ?? []
        let remaining = reply.last?.int ?? milliseconds
        return (reply.first?.int ?? 0, max(1, (remaining + 999) / 1000))
    }
}

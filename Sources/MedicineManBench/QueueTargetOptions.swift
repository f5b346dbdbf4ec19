import ArgumentParser
import JobQueue
import RedisClient

/// The Redis and key prefix a queue command works on (`--redis`, `--prefix`).
struct QueueTargetOptions: ParsableArguments {
    @Option(help: "Redis URL (redis:// or redis+cluster://).") var redis = "redis://127.0.0.1:6379/0"
    @Option(help: "Key prefix.") var prefix = "bull"

    /// A pool of up to `connections` connections to the Redis.
    func pool(connections: Int) throws -> RedisConnectionPool {
        try BenchRedis.pool(url: redis, connections: connections)
    }

    /// The queue `name` under the prefix, reached through `pool`.
    func queue(_ name: String, on pool: RedisConnectionPool) throws -> Queue {
        try Queue(name: name, prefix: prefix, redis: pool)
    }
}

import BlockingIO
import Logging
import RedisClient

/// The Redis pool and logger the benchmarks share.
struct BenchRedis {
    static func pool(url: String, connections: Int) throws -> RedisConnectionPool {
        RedisConnectionPool(configuration: try RedisConfiguration(url: url), options: .init(maxConnections: connections), logger: logger())
    }

    static func logger(_ level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: "medicineman-bench")
        logger.logLevel = level
        return logger
    }
}

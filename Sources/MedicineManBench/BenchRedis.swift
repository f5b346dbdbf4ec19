import BlockingIO
import Logging
import RedisClient

/// Options shared by the queue benchmarks.
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

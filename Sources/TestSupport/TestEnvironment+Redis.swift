import BlockingIO
package import Logging
package import RedisClient

extension TestEnvironment {
    /// A pool on the test Redis (`MM_TEST_REDIS_URL`).
    package static func redisPool(maxConnections: Int = 4, logger: Logger) throws -> RedisConnectionPool {
        RedisConnectionPool(configuration: try RedisConfiguration(url: require("MM_TEST_REDIS_URL")), options: .init(maxConnections: maxConnections), logger: logger)
    }
}

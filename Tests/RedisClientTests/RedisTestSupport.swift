import Logging
import RedisClient
import TestSupport

func testLogger() -> Logger {
    var logger = Logger(label: "test.redis")
    logger.logLevel = .warning
    return logger
}

func redisConfiguration(_ variable: String = "MM_TEST_REDIS_URL") throws -> RedisConfiguration {
    try RedisConfiguration(url: TestEnvironment.require(variable))
}

func makeConnection(_ variable: String = "MM_TEST_REDIS_URL") throws -> RedisConnection {
    RedisConnection(configuration: try redisConfiguration(variable), logger: testLogger())
}

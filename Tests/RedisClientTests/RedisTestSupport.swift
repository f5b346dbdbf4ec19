import Logging
import RedisClient
import TestSupport

func redisConfiguration(_ variable: String = "MM_TEST_REDIS_URL") throws -> RedisConfiguration {
    try RedisConfiguration(url: TestEnvironment.require(variable))
}

func makeConnection(_ variable: String = "MM_TEST_REDIS_URL") throws -> RedisConnection {
    RedisConnection(configuration: try redisConfiguration(variable), logger: testLogger())
}

/// A pool on the test Redis Cluster (`MM_TEST_REDIS_CLUSTER_URL`, started by scripts/test.sh).
func makeClusterPool(maxConnections: Int = 8) throws -> RedisConnectionPool {
    RedisConnectionPool(configuration: try redisConfiguration("MM_TEST_REDIS_CLUSTER_URL"), options: .init(maxConnections: maxConnections), logger: testLogger())
}

/// A plain connection to one node of the test cluster (for setting up slot migrations).
func nodeConnection(_ endpoint: RedisEndpoint) -> RedisConnection {
    RedisConnection(configuration: RedisConfiguration(host: endpoint.host, port: endpoint.port), logger: testLogger())
}

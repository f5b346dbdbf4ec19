import BlockingIO
import Logging
import RedisClient
import TestSupport

func redisConfiguration(_ variable: String = "MM_TEST_REDIS_URL") throws -> RedisConfiguration {
    try RedisConfiguration(url: TestEnvironment.require(variable))
}

func makeConnection(_ variable: String = "MM_TEST_REDIS_URL", clientName: String? = nil) throws -> RedisConnection {
    var configuration = try redisConfiguration(variable)
    configuration.clientName = clientName
    return RedisConnection(configuration: configuration, logger: testLogger())
}

/// Waits until the connection named `name` is blocked in `command` on the test Redis.
func blocked(_ name: String, in command: String = "bzpopmin") async throws -> Bool {
    let observer = try makeConnection()
    let seen = try await eventually { RedisClientList.isBlocked(try await observer.command("CLIENT", "LIST").string ?? "", name: name, in: command) }
    await observer.close()
    return seen
}

/// A pool on the test Redis Cluster (`MM_TEST_REDIS_CLUSTER_URL`, started by scripts/test.sh).
func makeClusterPool(maxConnections: Int = 8) throws -> RedisConnectionPool {
    RedisConnectionPool(configuration: try redisConfiguration("MM_TEST_REDIS_CLUSTER_URL"), options: .init(maxConnections: maxConnections), logger: testLogger())
}

/// A plain connection to one node of the test cluster (for setting up slot migrations).
func nodeConnection(_ endpoint: RedisEndpoint) -> RedisConnection {
    RedisConnection(configuration: RedisConfiguration(host: endpoint.host, port: endpoint.port), logger: testLogger())
}

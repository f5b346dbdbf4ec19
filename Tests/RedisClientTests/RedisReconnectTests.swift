import ErrorCodes
import RedisClient
import TestSupport
import Testing

extension SpareRedisServerTests {
    @Suite struct Reconnect {
        @Test func commandInFlightFailsRetryablyAndNextOneReconnects() async throws {
            let redis = try makeConnection("MM_TEST_REDIS_SPARE_URL")
            #expect(try await redis.command("PING").string == "PONG")
            let state = try TestEnvironment.require("MM_TEST_REDIS_SPARE_STATE")
            let port = try TestEnvironment.require("MM_TEST_REDIS_SPARE_PORT")
            try TestEnvironment.services(["restart", "redis", state, port])
            let error = try await #require(throws: RedisError.self, "the first command after a restart should fail") {
                try await redis.command("PING")
            }
            #expect(error.code == .connectionLost)
            #expect(error.isRetryable)
            #expect(error.message.contains("reconnects"))
            #expect(try await redis.command("PING").string == "PONG")
        }

        /// `DEBUG SLEEP` stops the whole server for a second: not the Redis other suites share.
        @Test func commandTimeoutIsRetryable() async throws {
            var config = try redisConfiguration("MM_TEST_REDIS_SPARE_URL")
            config.commandTimeout = .milliseconds(200)
            let redis = RedisConnection(configuration: config, logger: testLogger())
            let error = try await #require(throws: RedisError.self, "DEBUG SLEEP 1 should have timed out") {
                try await redis.command("DEBUG", "SLEEP", "1")
            }
            #expect(error.code == .timedOut)
            #expect(error.isRetryable)
            // Once the server is done sleeping, the same connection object serves again.
            #expect(try await eventually(timeout: .seconds(5), every: .milliseconds(100)) { (try? await redis.command("PING").string) == "PONG" })
        }
    }
}

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
    }
}

import BlockingIO
import ErrorCodes
import RedisClient
import TestSupport
import Testing

@Suite struct RedisConnectionTests {
    @Test func binaryValuesWithNULBytesRoundTrip() async throws {
        let redis = try makeConnection()
        let key = RedisArgument(TestEnvironment.uniqueName("bin"))
        var value: [UInt8] = [0, 1, 2, 0, 255, 254, 0]
        value += Array(0...255).map(UInt8.init)
        try await redis.command(["SET", key, RedisArgument(bytes: value), "PX", "60000"])
        let reply = try await redis.command(["GET", key])
        #expect(reply.bytes == value)
        let length = try await redis.command(["STRLEN", key])
        #expect(length.int == value.count)
        // A key with NUL bytes in it is distinct from its prefix.
        let nulKey = RedisArgument(bytes: Array("nul\u{0}key".utf8))
        try await redis.command(["SET", nulKey, "x", "PX", "60000"])
        #expect(try await redis.command(["EXISTS", "nul"]).int == 0)
        #expect(try await redis.command(["GET", nulKey]).string == "x")
    }

    @Test func tenThousandPipelinedCommands() async throws {
        let redis = try makeConnection()
        let key = RedisArgument(TestEnvironment.uniqueName("pipe"))
        let commands: [[RedisArgument]] = (0..<10_000).map { _ in ["INCR", key] }
        let replies = try await redis.pipeline(commands)
        #expect(replies.count == 10_000)
        #expect(replies.first == .integer(1))
        #expect(replies.last == .integer(10_000))
        #expect(replies.enumerated().allSatisfy { $0.element == .integer($0.offset + 1) })
        try await redis.command(["DEL", key])
    }

    @Test func errorRepliesAreValuesInPipelinesAndThrownByCommand() async throws {
        let redis = try makeConnection()
        let key = RedisArgument(TestEnvironment.uniqueName("list"))
        let replies = try await redis.pipeline([["LPUSH", key, "a"], ["INCR", key], ["LLEN", key], ["DEL", key]])
        #expect(replies[0] == .integer(1))
        #expect(replies[1].errorMessage?.hasPrefix("WRONGTYPE") == true)
        #expect(replies[2] == .integer(1))
        try await redis.command(["LPUSH", key, "a"])
        await #expect(throws: RedisError.self) { try await redis.command(["INCR", key]) }
        // The connection is still usable after an error reply.
        #expect(try await redis.command("PING").string == "PONG")
        try await redis.command(["DEL", key])
    }

    @Test func refusedConnectionIsRetryable() async throws {
        let redis = RedisConnection(configuration: RedisConfiguration(host: "127.0.0.1", port: 1), logger: testLogger())
        let error = try await #require(throws: RedisError.self, "connecting to port 1 should fail") {
            try await redis.command("PING")
        }
        #expect(error.code == .connectionFailed)
        #expect(error.isRetryable)
    }

    @Test func poolServesManyTasksWithFewConnections() async throws {
        let pool = RedisConnectionPool(configuration: try redisConfiguration(), options: .init(maxConnections: 3), logger: testLogger())
        let key = RedisArgument(TestEnvironment.uniqueName("pool"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { try await pool.command(["INCR", key]) }
            }
            try await group.waitForAll()
        }
        #expect(try await pool.command(["GET", key]).int == 50)
        try await pool.command(["DEL", key])
        await pool.close()
    }

    @Test func emptyCommandIsAnErrorNotACrash() async throws {
        let redis = try makeConnection()
        await #expect(throws: RedisError.self) { try await redis.command([]) }
        await #expect(throws: RedisError.self) { try await redis.pipeline([["PING"], []]) }
        #expect(try await redis.command("PING").string == "PONG")
    }
}

import ErrorCodes
@testable import RedisClient
import TestSupport
import Testing

/// What a careless operator or a hostile node could do to the cluster client.
@Suite struct AttackRedisClusterTests {
    @Test(arguments: [
        "redis+cluster://", "redis+cluster://,", "redis+cluster://user:pw@", "redis+cluster://127.0.0.1",
        "redis+cluster://127.0.0.1:0", "redis+cluster://127.0.0.1:70000", "redis+cluster://127.0.0.1:7301,:7302",
        "redis+cluster://127.0.0.1:7301,127.0.0.1:x", "redis+cluster://127.0.0.1:7301/3", "redis+cluster://127.0.0.1:7301,,127.0.0.1:7302",
    ])
    func badClusterURLsAreConfigurationErrors(url: String) {
        #expect {
            _ = try RedisConfiguration(url: url)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .invalidConfiguration && error.message.contains("redis+cluster://")
        }
    }

    @Test(arguments: [
        RESPValue.simpleString("OK"),
        .array([]),
        .array([.array([.integer(0), .integer(16384), .array([.bulkString(Array("h".utf8)), .integer(1)])])]),
        .array([.array([.integer(10), .integer(5), .array([.bulkString(Array("h".utf8)), .integer(1)])])]),
        .array([.array([.integer(0), .integer(5)])]),
        .array([.array([.integer(0), .integer(5), .array([.bulkString(Array("h".utf8)), .integer(0)])])]),
        .array([.array([.integer(0), .integer(5), .bulkString(Array("h:1".utf8))])]),
        .array([.integer(0)]),
    ])
    func malformedSlotMapsAreRefused(reply: RESPValue) {
        #expect {
            _ = try RedisClusterSlotMap(clusterSlots: reply, queried: RedisEndpoint(host: "127.0.0.1", port: 7301))
        } throws: { error in
            (error as? RedisError)?.code == .unexpectedReply && "\(error)".contains("CLUSTER SLOTS")
        }
    }

    /// A script answering with a MOVED error stands in for a node that redirects where it should not.
    @Test(.exclusive) func aRedirectToAnAddressOutsideTheClusterIsRefused() async throws {
        let pool = try makeClusterPool()
        let key = RedisArgument("{\(TestEnvironment.uniqueName("evil"))}:k")
        let script = RedisScript(name: "evil", source: "return redis.error_reply('MOVED 1 127.0.0.1:7309')")
        await #expect {
            _ = try await pool.evalScript(script, keys: [key], arguments: [])
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .clusterRouting && error.message.contains("127.0.0.1:7309") && error.message.contains("not a node of the cluster")
        }
        await pool.close()
    }

    @Test(.exclusive) func endlessRedirectsEndWithAClearError() async throws {
        let pool = try makeClusterPool()
        let key = "{\(TestEnvironment.uniqueName("loop"))}:k"
        let owner = try #require(try await pool.cluster?.slotMap()[RedisHashSlot.slot(of: key)])
        // The owner itself keeps answering "the slot is on me": a redirect loop.
        let script = RedisScript(name: "loop", source: "return redis.error_reply('MOVED \(RedisHashSlot.slot(of: key)) \(owner)')")
        await #expect {
            _ = try await pool.evalScript(script, keys: [RedisArgument(key)], arguments: [])
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.code == .clusterRouting && error.message.contains("redirected more than")
        }
        let askLoop = RedisScript(name: "askloop", source: "return redis.error_reply('ASK \(RedisHashSlot.slot(of: key)) \(owner)')")
        await #expect(throws: RedisError.self) {
            _ = try await pool.pipeline([RedisConnection.evalSourceCommand(askLoop, keys: [RedisArgument(key)], arguments: [])])
        }
        await pool.close()
    }

    @Test func aPlainURLToAClusterNodeNamesTheFix() async throws {
        let node = try #require(try RedisConfiguration(url: TestEnvironment.require("MM_TEST_REDIS_CLUSTER_URL")).clusterNodes.first)
        let pool = RedisConnectionPool(configuration: RedisConfiguration(host: node.host, port: node.port), logger: testLogger())
        // 100 keys cannot all live on the one node asked.
        await #expect {
            for index in 0..<100 { try await pool.command(["GET", RedisArgument("plain:\(index)")]) }
        } throws: { error in
            "\(error)".contains("MOVED") && "\(error)".contains("redis+cluster://")
        }
        await pool.close()
    }

    @Test func aClusterNobodyAnswersForFailsClearly() async throws {
        let pool = RedisConnectionPool(configuration: try RedisConfiguration(url: "redis+cluster://127.0.0.1:7309,127.0.0.1:7308"), logger: testLogger())
        await #expect {
            try await pool.command(["GET", "k"])
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.isRetryable && error.message.contains("no Redis Cluster node answered")
        }
    }
}

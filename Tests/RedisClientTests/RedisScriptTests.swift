import RedisClient
import TestSupport
import Testing

/// Tests that flush scripts, stop or restart the server use the spare Redis, one at a time.
@Suite(.serialized) enum SpareRedisServerTests {}

extension SpareRedisServerTests {
    @Suite struct Scripts {
        let script = RedisScript(name: "incrby-and-echo", source: "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) return {v, ARGV[2]}")

        @Test func sha1MatchesRedis() async throws {
            let redis = try makeConnection("MM_TEST_REDIS_SPARE_URL")
            let sha = try await redis.command(["SCRIPT", "LOAD", RedisArgument(script.source)])
            #expect(sha.string == script.sha1)
        }

        @Test func evalShaReloadsAfterNoScript() async throws {
            let redis = try makeConnection("MM_TEST_REDIS_SPARE_URL")
            let key = RedisArgument(TestEnvironment.uniqueName("script"))
            try await redis.command("SCRIPT", "FLUSH")
            let first = try await redis.evalScript(script, keys: [key], arguments: [5, "hello"])
            #expect(first == .array([.integer(5), .bulkString(Array("hello".utf8))]))
            let second = try await redis.evalScript(script, keys: [key], arguments: [2, "again"])
            #expect(second.array?.first == .integer(7))
            try await redis.command(["DEL", key])
        }

        @Test func pipelinedScriptsReloadAfterNoScript() async throws {
            let redis = try makeConnection("MM_TEST_REDIS_SPARE_URL")
            let key = RedisArgument(TestEnvironment.uniqueName("script"))
            try await redis.command("SCRIPT", "FLUSH")
            let calls = (1...20).map { (script: script, keys: [key], arguments: [RedisArgument(1), RedisArgument("n\($0)")]) }
            let replies = try await redis.pipelineScripts(calls)
            #expect(replies.count == 20)
            #expect(replies.allSatisfy { $0.array?.count == 2 })
            #expect(try await redis.command(["GET", key]).int == 20)
            try await redis.command(["DEL", key])
        }

        @Test func scriptErrorsComeBackAsErrorReplies() async throws {
            let redis = try makeConnection("MM_TEST_REDIS_SPARE_URL")
            let failing = RedisScript(name: "fails", source: "return redis.error_reply('ERR custom failure')")
            let reply = try await redis.evalScript(failing, keys: [], arguments: [])
            #expect(reply.errorMessage?.contains("custom failure") == true)
        }
    }
}

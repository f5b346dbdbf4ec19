import RedisClient
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesFullURL() throws {
        let config = try RedisConfiguration(url: "redis://:s3cr%40t@cache.example:6380/4")
        #expect(config.host == "cache.example")
        #expect(config.port == 6380)
        #expect(config.password == "s3cr@t")
        #expect(config.database == 4)
        #expect(!config.redactedDescription.contains("s3cr"))
    }

    @Test func parsesEnvironmentVariables() throws {
        let config = try RedisConfiguration(environment: ["REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6390", "REDIS_PASSWORD": "pw", "REDIS_DB": "2"])
        #expect(config.host == "10.0.0.5")
        #expect(config.port == 6390)
        #expect(config.password == "pw")
        #expect(config.database == 2)
    }

    @Test func defaultsWithoutSettings() throws {
        let config = try RedisConfiguration(environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 6379)
        #expect(config.database == 0)
    }

    @Test(arguments: ["http://localhost:6379", "redis://localhost:99999", "redis://localhost/abc"])
    func rejectsBadURLs(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }

    @Test func rejectsBadPortVariable() {
        #expect(throws: RedisError.self) { try RedisConfiguration(environment: ["REDIS_PORT": "six"]) }
    }
}

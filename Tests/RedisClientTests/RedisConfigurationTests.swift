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

    @Test(arguments: ["http://localhost:6379", "redis://localhost:99999", "redis://localhost/abc"])
    func rejectsBadURLs(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }

}

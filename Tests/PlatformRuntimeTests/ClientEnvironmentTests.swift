import ErrorCodes
import PlatformRuntime
import Records
import RedisClient
import Testing

/// `REDIS_*` and `ENCRYPTION_KEY`, read by PlatformRuntime into the clients' configuration.
@Suite struct ClientEnvironmentTests {
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

    @Test func rejectsBadPortVariable() {
        #expect(throws: RedisError.self) { try RedisConfiguration(environment: ["REDIS_PORT": "six"]) }
    }

    @Test func missingKeyIsAClearStartupError() throws {
        let error = try #require(throws: RecordError.self, "a missing key should be refused") {
            _ = try CredentialVault(environment: [:])
        }
        #expect(error.message.contains("ENCRYPTION_KEY is not set"))
    }
}

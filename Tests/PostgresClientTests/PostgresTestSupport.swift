import Logging
import PostgresClient
import TestSupport

func postgresConfiguration(_ variable: String = "MM_TEST_DATABASE_URL") throws -> PostgresConfiguration {
    PostgresConfiguration(url: try TestEnvironment.require(variable))
}

func makeConnection(_ variable: String = "MM_TEST_DATABASE_URL") throws -> PostgresConnection {
    PostgresConnection(configuration: try postgresConfiguration(variable), logger: testLogger())
}

func withScratchDatabase<Result>(_ body: (PostgresConfiguration) async throws -> Result) async throws -> Result {
    try await TestEnvironment.withScratchDatabase(logger: testLogger(), body)
}

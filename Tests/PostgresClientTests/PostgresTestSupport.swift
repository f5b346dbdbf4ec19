import Logging
import PostgresClient
import TestSupport

func testLogger() -> Logger {
    var logger = Logger(label: "test.postgres")
    logger.logLevel = .warning
    return logger
}

func postgresConfiguration(_ variable: String = "MM_TEST_DATABASE_URL") throws -> PostgresConfiguration {
    PostgresConfiguration(url: try TestEnvironment.require(variable))
}

func makeConnection(_ variable: String = "MM_TEST_DATABASE_URL") throws -> PostgresConnection {
    PostgresConnection(configuration: try postgresConfiguration(variable), logger: testLogger())
}

/// A database of its own, dropped afterwards, for tests that need an empty schema.
func withScratchDatabase<Result>(_ body: (PostgresConfiguration) async throws -> Result) async throws -> Result {
    let admin = try makeConnection()
    let name = TestEnvironment.uniqueName("mm_scratch")
    try await admin.query("CREATE DATABASE \(name)")  // name is ours: letters, digits and _
    let base = try TestEnvironment.require("MM_TEST_DATABASE_URL")
    guard let slash = base.lastIndex(of: "/") else { throw TestEnvironment.Missing(name: "MM_TEST_DATABASE_URL with a database") }
    let configuration = PostgresConfiguration(url: String(base[...slash]) + name)
    do {
        let result = try await body(configuration)
        try await admin.query("DROP DATABASE \(name) WITH (FORCE)")
        return result
    } catch {
        _ = try? await admin.query("DROP DATABASE \(name) WITH (FORCE)")
        throw error
    }
}

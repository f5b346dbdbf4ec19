import BlockingIO
package import Logging
package import PostgresClient

extension TestEnvironment {
    /// Runs `body` against a new, empty database that is dropped afterwards.
    package static func withScratchDatabase<Result>(
        logger: Logger,
        _ body: (PostgresConfiguration) async throws -> Result
    ) async throws -> Result {
        try await withScratchDatabaseURL(logger: logger) { try await body(PostgresConfiguration(url: $0)) }
    }

    /// Like `withScratchDatabase`, giving the database's URL (for a child process).
    package static func withScratchDatabaseURL<Result>(
        logger: Logger,
        _ body: (String) async throws -> Result
    ) async throws -> Result {
        let base = try require("MM_TEST_DATABASE_URL")
        guard let slash = base.lastIndex(of: "/") else { throw Missing(name: "MM_TEST_DATABASE_URL with a database name") }
        let admin = PostgresConnection(configuration: PostgresConfiguration(url: base), logger: logger)
        let name = uniqueName("mm_scratch")
        return try await withCleanup {
            try await admin.query("CREATE DATABASE \(name)")  // the name is ours: letters, digits and _
            return try await withCleanup {
                try await body(String(base[...slash]) + name)
            } cleanup: {
                _ = try await admin.query("DROP DATABASE \(name) WITH (FORCE)")
            }
        } cleanup: {
            await admin.close()
        }
    }
}

extension TestEnvironment {
    /// Like `withScratchDatabase`, with the project's migrations applied and a pool over it.
    package static func withMigratedDatabase<Result>(logger: Logger, _ body: (PostgresPool) async throws -> Result) async throws -> Result {
        try await withScratchDatabase(logger: logger) { configuration in
            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 6), logger: logger)
            let runner = try MigrationRunner(directory: try require("MM_TEST_ROOT") + "/migrations", logger: logger)
            return try await withCleanup {
                _ = try await pool.withConnection { try await runner.migrate(on: $0) }
                return try await body(pool)
            } cleanup: {
                await pool.close()
            }
        }
    }
}

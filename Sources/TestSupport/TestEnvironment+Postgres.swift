import Logging
import PostgresClient

extension TestEnvironment {
    /// Runs `body` against a new, empty database that is dropped afterwards.
    public static func withScratchDatabase<Result>(
        logger: Logger,
        _ body: (PostgresConfiguration) async throws -> Result
    ) async throws -> Result {
        let base = try require("MM_TEST_DATABASE_URL")
        let admin = PostgresConnection(configuration: PostgresConfiguration(url: base), logger: logger)
        let name = uniqueName("mm_scratch")
        try await admin.query("CREATE DATABASE \(name)")  // the name is ours: letters, digits and _
        guard let slash = base.lastIndex(of: "/") else { throw Missing(name: "MM_TEST_DATABASE_URL with a database name") }
        let configuration = PostgresConfiguration(url: String(base[...slash]) + name)
        do {
            let result = try await body(configuration)
            try await admin.query("DROP DATABASE \(name) WITH (FORCE)")
            await admin.close()
            return result
        } catch {
            _ = try? await admin.query("DROP DATABASE \(name) WITH (FORCE)")
            await admin.close()
            throw error
        }
    }
}

package import Logging
package import PostgresClient

extension PlatformResources {
    /// Applies pending migrations, waiting for PostgreSQL to come up for at most the start-up
    /// timeout; errors that waiting cannot fix (an edited migration, bad SQL, bad credentials)
    /// fail at once.
    @discardableResult
    package func migrate(logger: Logger) async throws -> [MigrationRunner.Migration] {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.startupTimeout
        var delay = Duration.milliseconds(250)
        while true {
            do {
                let applied = try await postgres.withConnection { try await migrations.migrate(on: $0) }
                logger.info(
                    "database schema is current",
                    metadata: [
                        "migrations.applied": "\(applied.count)", "migrations.total": "\(migrations.migrations.count)",
                    ])
                return applied
            } catch let error as PostgresError where Self.isWorthWaiting(error) && clock.now + delay < deadline {
                logger.warning(
                    "PostgreSQL is not reachable yet; retrying",
                    metadata: [
                        "postgres": "\(configuration.postgres.redactedDescription)", "error": "\(error.message)",
                    ])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Refused or dropped connections heal when the server comes up; authentication failures do not.
    private static func isWorthWaiting(_ error: PostgresError) -> Bool {
        if error.isRetryable { return true }
        guard error.code == .connectionFailed else { return false }
        let message = error.message.lowercased()
        return message.contains("refused") || message.contains("starting up") || message.contains("timeout")
            || message.contains("no such file") || message.contains("shutting down")
    }
}

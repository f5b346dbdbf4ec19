package import PostgresClient

/// Environment variables are read in PlatformRuntime only; the client takes the values.
extension PostgresConfiguration {
    /// Reads `DATABASE_URL`; without it libpq falls back to the `PG*` variables.
    package init(environment: [String: String]) throws(PostgresError) {
        self.init()
        if let url = EnvironmentVariables(environment)["DATABASE_URL"] {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw PostgresError(.invalidConfiguration, "DATABASE_URL must start with postgres:// or postgresql://")
            }
            self.url = url
        }
    }
}

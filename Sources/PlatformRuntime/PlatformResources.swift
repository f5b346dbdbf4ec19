import BlockingIO
package import Logging
package import PostgresClient
package import RedisClient

/// The shared connections of one process: a Redis pool, a PostgreSQL pool and the migrations.
package struct PlatformResources: Sendable {
    package let configuration: PlatformConfiguration
    package let redis: RedisConnectionPool
    package let postgres: PostgresPool
    package let migrations: MigrationRunner

    package init(configuration: PlatformConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.redis = RedisConnectionPool(
            configuration: configuration.redis, options: .init(maxConnections: configuration.redisPoolSize), logger: logger)
        self.postgres = PostgresPool(
            configuration: configuration.postgres, options: .init(maxConnections: configuration.postgresPoolSize), logger: logger)
        self.migrations = try MigrationRunner(directory: configuration.migrationsDirectory, logger: logger)
    }

    /// Over pools made elsewhere (a test fixture's).
    package init(configuration: PlatformConfiguration, redis: RedisConnectionPool, postgres: PostgresPool, migrations: MigrationRunner) {
        self.configuration = configuration
        self.redis = redis
        self.postgres = postgres
        self.migrations = migrations
    }

    package func close() async {
        await redis.close()
        await postgres.close()
    }
}

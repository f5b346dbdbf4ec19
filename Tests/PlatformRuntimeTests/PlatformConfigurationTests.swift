import Logging
import PlatformRuntime
import PostgresClient
import Records
import RedisClient
import Testing

@Suite struct PlatformConfigurationTests {
    @Test func defaultsListenOnLoopback3000() throws {
        let configuration = try PlatformConfiguration(environment: [:])
        #expect(configuration.http.host == "127.0.0.1")
        #expect(configuration.http.port == 3000)
        #expect(configuration.redis.port == 6379)
        #expect(configuration.migrationsDirectory == "migrations")
        #expect(configuration.badTokenLimitPerMinute == 30)
        // A quarter of the PostgreSQL pool (10), rounded up.
        #expect(configuration.effectiveAuthLookupSlots == 3)
        #expect(configuration.holdsTokenDigests)
    }

    @Test func anHTTPSPublicURLMakesCookiesSecureUnlessToldOtherwise() throws {
        #expect(try !PlatformConfiguration(environment: [:]).secureCookies)
        #expect(try !PlatformConfiguration(environment: ["PUBLIC_URL": "http://mm.internal:3000"]).secureCookies)
        #expect(try PlatformConfiguration(environment: ["PUBLIC_URL": "https://mm.example.com/"]).secureCookies)
        #expect(try !PlatformConfiguration(environment: ["PUBLIC_URL": "https://mm.example.com", "SECURE_COOKIES": "false"]).secureCookies)
        #expect(try PlatformConfiguration(environment: ["PUBLIC_URL": "http://mm.internal", "SECURE_COOKIES": "true"]).secureCookies)
    }

    @Test func readsEveryVariable() throws {
        let configuration = try PlatformConfiguration(environment: [
            "HOST": "0.0.0.0", "PORT": "8080", "REDIS_URL": "redis://:secret@redis.internal:6380/2",
            "DATABASE_URL": "postgres://u:p@db.internal:5433/mm", "MIGRATIONS_DIR": "/opt/mm/migrations",
            "LOG_LEVEL": "DEBUG", "STARTUP_TIMEOUT_SECONDS": "5", "REDIS_POOL_SIZE": "4", "DATABASE_POOL_SIZE": "3",
            "SSE_MAX_STREAMS_PER_USER": "5", "SSE_MAX_STREAMS": "50", "BAD_TOKEN_LIMIT_PER_MINUTE": "0",
            "AUTH_LOOKUP_SLOTS": "5", "AUTH_TOKEN_DIGESTS": "false", "AUDIT_RETENTION_DAYS": "0", "HISTORY_RETENTION_DAYS": "30",
            "SCAN_RETENTION_DAYS": "0", "UPDATE_RETENTION_DAYS": "730", "BACKUP_TIMEOUT_HOURS": "48",
        ])
        #expect(configuration.backupTimeout == .seconds(48 * 3600))
        #expect(configuration.http.host == "0.0.0.0" && configuration.http.port == 8080)
        #expect(configuration.redis.host == "redis.internal" && configuration.redis.port == 6380 && configuration.redis.database == 2)
        #expect(configuration.postgres.url == "postgres://u:p@db.internal:5433/mm")
        #expect(configuration.migrationsDirectory == "/opt/mm/migrations")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.startupTimeout == .seconds(5))
        #expect(configuration.redisPoolSize == 4 && configuration.postgresPoolSize == 3)
        #expect(configuration.maxEventStreamsPerUser == 5 && configuration.maxEventStreams == 50)
        #expect(configuration.badTokenLimitPerMinute == 0 && configuration.effectiveAuthLookupSlots == 3, "never more than the pool")
        #expect(!configuration.holdsTokenDigests)
        #expect(configuration.historyRetention == [.jobAttempts: 30, .webhookDeliveries: 30, .updates: 730], "0 keeps audit log and scans forever")
        #expect(
            try PlatformConfiguration(environment: [:]).historyRetention == [
                .auditLog: 365, .jobAttempts: 90, .webhookDeliveries: 90, .scans: 90, .updates: 365,
            ])
    }

    @Test(arguments: [
        ("PORT", "http"), ("PORT", "70000"), ("LOG_LEVEL", "loud"), ("REDIS_URL", "http://x"),
        ("DATABASE_URL", "mysql://x"), ("REDIS_POOL_SIZE", "0"), ("SSE_MAX_STREAMS", "0"), ("SSE_MAX_STREAMS_PER_USER", "many"),
        ("BAD_TOKEN_LIMIT_PER_MINUTE", "-1"), ("AUTH_LOOKUP_SLOTS", "0"), ("AUTH_TOKEN_DIGESTS", "maybe"),
        ("AUDIT_RETENTION_DAYS", "-1"), ("AUDIT_RETENTION_DAYS", "40000"), ("HISTORY_RETENTION_DAYS", "90d"),
        ("SCAN_RETENTION_DAYS", " 90"), ("UPDATE_RETENTION_DAYS", "1e3"), ("BACKUP_TIMEOUT_HOURS", "0"), ("BACKUP_TIMEOUT_HOURS", "721"),
        ("METRICS_TOKEN", "short-token"), ("METRICS_TOKEN", "a token with spaces in it, long enough though"),
        ("METRICS_TOKEN", "0123456789abcdef0123456789abcdef\u{7F}"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a b"),
    ])
    func badValuesNameTheVariable(variable: String, value: String) throws {
        let error = try #require(throws: ConfigurationError.self, "\(variable)=\(value) should be refused") {
            _ = try PlatformConfiguration(environment: [variable: value])
        }
        #expect(error.variable == variable)
        #expect(!error.message.isEmpty)
    }

    @Test func traceExportIsOffUnlessAnEndpointIsSet() throws {
        #expect(try PlatformConfiguration(environment: [:]).traceExport == nil)
        #expect(try PlatformConfiguration(environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"]).traceExport == nil)
        let base = try #require(try PlatformConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]).traceExport)
        #expect(base.tracesURL == "http://collector:4318/v1/traces" && base.format == .protobuf && base.serviceName == "medicineman")
        let set = try #require(
            try PlatformConfiguration(environment: [
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example/", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_SERVICE_NAME": "mm-eu",
            ]).traceExport)
        #expect(set.tracesURL == "https://otel.example/v1/traces" && set.format == .json && set.serviceName == "mm-eu")
        let error = try #require(throws: ConfigurationError.self, "grpc is not built in and should be refused") {
            _ = try PlatformConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        }
        #expect(error.variable == "OTEL_EXPORTER_OTLP_PROTOCOL")
    }

    @Test func encryptionKeyIsOptionalForMigrateButValidated() throws {
        #expect(try PlatformConfiguration(environment: [:]).vault == nil)
        #expect(throws: ConfigurationError.self) { try PlatformConfiguration(environment: [:]).requireVault() }
        let key = String(repeating: "0f", count: 32)
        #expect(try PlatformConfiguration(environment: ["ENCRYPTION_KEY": key]).requireVault().currentKey.id.count == 16)
        for bad in ["short", String(repeating: "x", count: 64)] {
            let error = #expect(throws: ConfigurationError.self, "a malformed key should be refused") {
                _ = try PlatformConfiguration(environment: ["ENCRYPTION_KEY": bad])
            }
            #expect(error?.variable == "ENCRYPTION_KEY")
        }
        let error = try #require(throws: ConfigurationError.self, "a malformed previous key should be refused") {
            _ = try PlatformConfiguration(environment: ["ENCRYPTION_KEY": key, "ENCRYPTION_KEY_PREVIOUS": "nope"])
        }
        #expect(error.variable == "ENCRYPTION_KEY_PREVIOUS")
    }

    @Test func passwordsStayOutOfDescriptions() throws {
        let configuration = try PlatformConfiguration(environment: [
            "REDIS_URL": "redis://:redis-secret@h:6379/0", "DATABASE_URL": "postgres://u:pg-secret@h:5432/db",
        ])
        #expect(!configuration.redis.redactedDescription.contains("redis-secret"))
        #expect(!configuration.postgres.redactedDescription.contains("pg-secret"))
    }
}

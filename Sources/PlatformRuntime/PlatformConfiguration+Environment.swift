import ErrorCodes
import HTTPAPI
import Logging
import PostgresClient
import Records
import RedisClient
import ServerJobs

extension PlatformConfiguration {
    /// Reads the variables README's Configuration table lists; an unset or empty one keeps its
    /// default, and one that does not parse is an error naming it.
    package init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        let variables = EnvironmentVariables(environment)
        http.host = variables["HOST"] ?? http.host
        http.port = try variables.integer("PORT", in: 0...65535) ?? http.port
        do {
            redis = try RedisConfiguration(environment: environment)
        } catch {
            throw ConfigurationError(variable: variables["REDIS_URL"] == nil ? "REDIS_*" : "REDIS_URL", error.message)
        }
        do {
            postgres = try PostgresConfiguration(environment: environment)
        } catch {
            throw ConfigurationError(variable: "DATABASE_URL", error.message)
        }
        migrationsDirectory = variables["MIGRATIONS_DIR"] ?? migrationsDirectory
        startupTimeout = try variables.seconds("STARTUP_TIMEOUT_SECONDS", in: 0...3600) ?? startupTimeout
        if let level = variables["LOG_LEVEL"] {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError(variable: "LOG_LEVEL", "expected one of trace, debug, info, notice, warning, error, critical; got '\(level)'")
            }
            logLevel = parsed
        }
        redisPoolSize = try variables.integer("REDIS_POOL_SIZE", in: 1...512) ?? redisPoolSize
        postgresPoolSize = try variables.integer("DATABASE_POOL_SIZE", in: 1...512) ?? postgresPoolSize
        backupDirectory = variables["BACKUP_DIR"] ?? backupDirectory
        objectStore = try Self.objectStoreSettings(environment)
        if let token = variables["METRICS_TOKEN"] {
            // Long enough that no number of networks guessing finds it; what a header can carry.
            guard token.utf8.count >= 32, token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw ConfigurationError(
                    variable: "METRICS_TOKEN", "must be at least 32 visible ASCII characters without spaces (e.g. openssl rand -hex 24)")
            }
            metricsToken = token
        }
        writeLimitPerMinute = try variables.integer("WRITE_LIMIT_PER_MINUTE", in: 1...100_000) ?? writeLimitPerMinute
        jobLockOverride = try variables.seconds("JOB_LOCK_SECONDS", in: 2...86_400) ?? jobLockOverride
        schedulerInterval = try variables.seconds("SCHEDULER_INTERVAL_SECONDS", in: 1...3600) ?? schedulerInterval
        backupTimeout = try variables.integer("BACKUP_TIMEOUT_HOURS", in: 1...720).map { .seconds($0 * 3600) } ?? backupTimeout
        authCacheLifetime = try variables.seconds("AUTH_CACHE_SECONDS", in: 0...300) ?? authCacheLifetime
        badTokenLimitPerMinute = try variables.integer("BAD_TOKEN_LIMIT_PER_MINUTE", in: 0...1_000_000) ?? badTokenLimitPerMinute
        authLookupSlots = try variables.integer("AUTH_LOOKUP_SLOTS", in: 1...512) ?? authLookupSlots
        holdsTokenDigests = try variables.boolean("AUTH_TOKEN_DIGESTS") ?? holdsTokenDigests
        maxEventStreamsPerUser = try variables.integer("SSE_MAX_STREAMS_PER_USER", in: 1...100_000) ?? maxEventStreamsPerUser
        maxEventStreams = try variables.integer("SSE_MAX_STREAMS", in: 1...1_000_000) ?? maxEventStreams
        // Days a kind of history is kept: 0 is forever, unset the default.
        func retention(_ name: String, _ current: Int?) throws(ConfigurationError) -> Int? {
            guard let days = try variables.integer(name, in: 0...36_500) else { return current }
            return days == 0 ? nil : days
        }
        auditRetentionDays = try retention("AUDIT_RETENTION_DAYS", auditRetentionDays)
        historyRetentionDays = try retention("HISTORY_RETENTION_DAYS", historyRetentionDays)
        scanRetentionDays = try retention("SCAN_RETENTION_DAYS", scanRetentionDays)
        updateRetentionDays = try retention("UPDATE_RETENTION_DAYS", updateRetentionDays)
        if let prefix = variables["QUEUE_PREFIX"] {
            guard !prefix.contains(" ") else { throw ConfigurationError(variable: "QUEUE_PREFIX", "must not contain spaces") }
            queuePrefix = prefix
        }
        shutdownGrace = try variables.seconds("SHUTDOWN_GRACE_SECONDS", in: 0...86_400) ?? shutdownGrace
        if let secret = variables["SESSION_SECRET"] {
            guard secret.utf8.count >= 32, !secret.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw ConfigurationError(variable: "SESSION_SECRET", "must be at least 32 characters without control characters (e.g. `openssl rand -hex 32`)")
            }
            sessionSecret = secret
        }
        loginLimits.perClientPerMinute = try variables.integer("LOGIN_LIMIT_PER_MINUTE", in: 1...100_000) ?? loginLimits.perClientPerMinute
        loginLimits.perUsernamePerMinute =
            try variables.integer("LOGIN_LIMIT_PER_USERNAME_PER_MINUTE", in: 1...100_000) ?? loginLimits.perUsernamePerMinute
        httpIdleTimeout = try variables.seconds("HTTP_IDLE_TIMEOUT_SECONDS", in: 1...3600) ?? httpIdleTimeout
        httpReadTimeout = try variables.seconds("HTTP_READ_TIMEOUT_SECONDS", in: 1...3600) ?? httpReadTimeout
        webhookAllowPrivate = try variables.boolean("WEBHOOK_ALLOW_PRIVATE") ?? webhookAllowPrivate
        encryptBackups = try variables.boolean("ENCRYPT_BACKUPS") ?? encryptBackups
        if let url = variables["PUBLIC_URL"] {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), !url.contains(where: { $0.isWhitespace }) else {
                throw ConfigurationError(variable: "PUBLIC_URL", "expected an http:// or https:// address, got '\(url)'")
            }
            publicURL = String(url.reversed().drop { $0 == "/" }.reversed())
        }
        // Served over https: cookies are Secure unless told otherwise, whatever the proxy sends.
        secureCookies = try variables.boolean("SECURE_COOKIES") ?? (publicURL?.hasPrefix("https://") == true || secureCookies)
        traceExport = try TraceExportSettings(environment: environment)
        if variables["ENCRYPTION_KEY"] != nil {
            do {
                vault = try CredentialVault(environment: environment)
            } catch {
                throw ConfigurationError(variable: error.field ?? "ENCRYPTION_KEY", error.message)
            }
        }
    }

    /// `BACKUP_STORAGE=dir` (default) or `s3` with `S3_ENDPOINT` (default AWS's for the region),
    /// `S3_BUCKET`, `S3_REGION` (default us-east-1), `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`,
    /// `S3_PATH_STYLE` (default true with an endpoint, false for AWS) and `S3_PREFIX` (default
    /// `medicineman/`). The secret appears in no message.
    static func objectStoreSettings(_ environment: [String: String]) throws(ConfigurationError) -> ObjectStoreSettings? {
        let variables = EnvironmentVariables(environment)
        let kind = (variables["BACKUP_STORAGE"] ?? "").lowercased()
        switch kind {
        case "", "dir": return nil
        case "s3": break
        default: throw ConfigurationError(variable: "BACKUP_STORAGE", "expected dir or s3, got '\(kind.prefix(40))'")
        }
        guard let bucket = variables["S3_BUCKET"] else { throw ConfigurationError(variable: "S3_BUCKET", "BACKUP_STORAGE=s3 needs the bucket's name") }
        guard let keyId = variables["S3_ACCESS_KEY_ID"] else { throw ConfigurationError(variable: "S3_ACCESS_KEY_ID", "BACKUP_STORAGE=s3 needs an access key id") }
        guard let secret = variables["S3_SECRET_ACCESS_KEY"] else {
            throw ConfigurationError(variable: "S3_SECRET_ACCESS_KEY", "BACKUP_STORAGE=s3 needs the secret access key")
        }
        let region = variables["S3_REGION"] ?? "us-east-1"
        let endpoint = variables["S3_ENDPOINT"]
        let pathStyle = try variables.boolean("S3_PATH_STYLE") ?? (endpoint != nil)
        do {
            return try ObjectStoreSettings(
                endpoint: endpoint ?? "https://s3.\(region).amazonaws.com", bucket: bucket, region: region,
                accessKeyId: keyId, secretAccessKey: secret, pathStyle: pathStyle,
                prefix: environment["S3_PREFIX"] ?? "medicineman/")
        } catch {
            let variable =
                ["S3_ENDPOINT", "S3_BUCKET", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PREFIX"]
                .first { error.message.hasPrefix($0) } ?? "BACKUP_STORAGE"
            throw ConfigurationError(variable: variable, error.message)
        }
    }
}

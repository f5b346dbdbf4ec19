import ErrorCodes
import HTTPAPI
import Logging
import PostgresClient
import Records
import RedisClient
import ServerJobs

extension PlatformConfiguration {
    /// Reads `HOST`, `PORT`, `REDIS_URL` (or `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB`),
    /// `DATABASE_URL` (or the `PG*` variables), `MIGRATIONS_DIR`, `STARTUP_TIMEOUT_SECONDS`,
    /// `LOG_LEVEL`, `REDIS_POOL_SIZE`, `DATABASE_POOL_SIZE`, `SSE_MAX_STREAMS_PER_USER`, `SSE_MAX_STREAMS`,
    /// `ENCRYPTION_KEY` and `ENCRYPTION_KEY_PREVIOUS`.
    package init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        if let host = environment["HOST"], !host.isEmpty { http.host = host }
        if let port = environment["PORT"], !port.isEmpty {
            http.port = try Self.integer(port, variable: "PORT", in: 0...65535)
        }
        do {
            redis = try RedisConfiguration(environment: environment)
        } catch {
            throw ConfigurationError(variable: environment["REDIS_URL"] == nil ? "REDIS_*" : "REDIS_URL", error.message)
        }
        do {
            postgres = try PostgresConfiguration(environment: environment)
        } catch {
            throw ConfigurationError(variable: "DATABASE_URL", error.message)
        }
        if let directory = environment["MIGRATIONS_DIR"], !directory.isEmpty { migrationsDirectory = directory }
        if let seconds = environment["STARTUP_TIMEOUT_SECONDS"], !seconds.isEmpty {
            startupTimeout = .seconds(try Self.integer(seconds, variable: "STARTUP_TIMEOUT_SECONDS", in: 0...3600))
        }
        if let level = environment["LOG_LEVEL"], !level.isEmpty {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError(variable: "LOG_LEVEL", "expected one of trace, debug, info, notice, warning, error, critical; got '\(level)'")
            }
            logLevel = parsed
        }
        if let size = environment["REDIS_POOL_SIZE"], !size.isEmpty {
            redisPoolSize = try Self.integer(size, variable: "REDIS_POOL_SIZE", in: 1...512)
        }
        if let size = environment["DATABASE_POOL_SIZE"], !size.isEmpty {
            postgresPoolSize = try Self.integer(size, variable: "DATABASE_POOL_SIZE", in: 1...512)
        }
        if let directory = environment["BACKUP_DIR"], !directory.isEmpty { backupDirectory = directory }
        objectStore = try Self.objectStoreSettings(environment)
        if let token = environment["METRICS_TOKEN"], !token.isEmpty { metricsToken = token }
        if let limit = environment["WRITE_LIMIT_PER_MINUTE"], !limit.isEmpty {
            writeLimitPerMinute = try Self.integer(limit, variable: "WRITE_LIMIT_PER_MINUTE", in: 1...100_000)
        }
        if let seconds = environment["JOB_LOCK_SECONDS"], !seconds.isEmpty {
            jobLockOverride = .seconds(try Self.integer(seconds, variable: "JOB_LOCK_SECONDS", in: 2...86_400))
        }
        if let seconds = environment["SCHEDULER_INTERVAL_SECONDS"], !seconds.isEmpty {
            schedulerInterval = .seconds(try Self.integer(seconds, variable: "SCHEDULER_INTERVAL_SECONDS", in: 1...3600))
        }
        if let seconds = environment["AUTH_CACHE_SECONDS"], !seconds.isEmpty {
            authCacheLifetime = .seconds(try Self.integer(seconds, variable: "AUTH_CACHE_SECONDS", in: 0...300))
        }
        if let limit = environment["BAD_TOKEN_LIMIT_PER_MINUTE"], !limit.isEmpty {
            badTokenLimitPerMinute = try Self.integer(limit, variable: "BAD_TOKEN_LIMIT_PER_MINUTE", in: 0...1_000_000)
        }
        if let count = environment["AUTH_LOOKUP_SLOTS"], !count.isEmpty {
            authLookupSlots = try Self.integer(count, variable: "AUTH_LOOKUP_SLOTS", in: 1...512)
        }
        if let held = environment["AUTH_TOKEN_DIGESTS"], !held.isEmpty {
            holdsTokenDigests = try Self.boolean(held, variable: "AUTH_TOKEN_DIGESTS")
        }
        if let count = environment["SSE_MAX_STREAMS_PER_USER"], !count.isEmpty {
            maxEventStreamsPerUser = try Self.integer(count, variable: "SSE_MAX_STREAMS_PER_USER", in: 1...100_000)
        }
        if let count = environment["SSE_MAX_STREAMS"], !count.isEmpty {
            maxEventStreams = try Self.integer(count, variable: "SSE_MAX_STREAMS", in: 1...1_000_000)
        }
        if let days = environment["AUDIT_RETENTION_DAYS"], !days.isEmpty {
            auditRetentionDays = try Self.retentionDays(days, variable: "AUDIT_RETENTION_DAYS")
        }
        if let days = environment["HISTORY_RETENTION_DAYS"], !days.isEmpty {
            historyRetentionDays = try Self.retentionDays(days, variable: "HISTORY_RETENTION_DAYS")
        }
        if let prefix = environment["QUEUE_PREFIX"], !prefix.isEmpty {
            guard !prefix.contains(" ") else { throw ConfigurationError(variable: "QUEUE_PREFIX", "must not contain spaces") }
            queuePrefix = prefix
        }
        if let seconds = environment["SHUTDOWN_GRACE_SECONDS"], !seconds.isEmpty {
            shutdownGrace = .seconds(try Self.integer(seconds, variable: "SHUTDOWN_GRACE_SECONDS", in: 0...86_400))
        }
        if let secret = environment["SESSION_SECRET"], !secret.isEmpty {
            guard secret.utf8.count >= 32, !secret.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw ConfigurationError(variable: "SESSION_SECRET", "must be at least 32 characters without control characters (e.g. `openssl rand -hex 32`)")
            }
            sessionSecret = secret
        }
        if let limit = environment["LOGIN_LIMIT_PER_MINUTE"], !limit.isEmpty {
            loginLimits.perClientPerMinute = try Self.integer(limit, variable: "LOGIN_LIMIT_PER_MINUTE", in: 1...100_000)
        }
        if let limit = environment["LOGIN_LIMIT_PER_USERNAME_PER_MINUTE"], !limit.isEmpty {
            loginLimits.perUsernamePerMinute = try Self.integer(limit, variable: "LOGIN_LIMIT_PER_USERNAME_PER_MINUTE", in: 1...100_000)
        }
        if let seconds = environment["HTTP_IDLE_TIMEOUT_SECONDS"], !seconds.isEmpty {
            httpIdleTimeout = .seconds(try Self.integer(seconds, variable: "HTTP_IDLE_TIMEOUT_SECONDS", in: 1...3600))
        }
        if let seconds = environment["HTTP_READ_TIMEOUT_SECONDS"], !seconds.isEmpty {
            httpReadTimeout = .seconds(try Self.integer(seconds, variable: "HTTP_READ_TIMEOUT_SECONDS", in: 1...3600))
        }
        if let allow = environment["WEBHOOK_ALLOW_PRIVATE"], !allow.isEmpty {
            webhookAllowPrivate = try Self.boolean(allow, variable: "WEBHOOK_ALLOW_PRIVATE")
        }
        if let encrypt = environment["ENCRYPT_BACKUPS"], !encrypt.isEmpty {
            encryptBackups = try Self.boolean(encrypt, variable: "ENCRYPT_BACKUPS")
        }
        if let secure = environment["SECURE_COOKIES"], !secure.isEmpty {
            secureCookies = try Self.boolean(secure, variable: "SECURE_COOKIES")
        }
        if let url = environment["PUBLIC_URL"], !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), !url.contains(where: { $0.isWhitespace }) else {
                throw ConfigurationError(variable: "PUBLIC_URL", "expected an http:// or https:// address, got '\(url)'")
            }
            publicURL = String(url.reversed().drop { $0 == "/" }.reversed())
        }
        traceExport = try TraceExportSettings(environment: environment)
        if let key = environment["ENCRYPTION_KEY"], !key.isEmpty {
            do {
                vault = try CredentialVault(environment: environment)
            } catch {
                throw ConfigurationError(variable: error.field ?? "ENCRYPTION_KEY", error.message)
            }
        }
    }

    private static func boolean(_ text: String, variable: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ConfigurationError(variable: variable, "expected true or false, got '\(text.prefix(40))'")
        }
    }

    /// `BACKUP_STORAGE=dir` (default) or `s3` with `S3_ENDPOINT` (default AWS's for the region),
    /// `S3_BUCKET`, `S3_REGION` (default us-east-1), `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`,
    /// `S3_PATH_STYLE` (default true with an endpoint, false for AWS) and `S3_PREFIX` (default
    /// `medicineman/`). The secret appears in no message.
    static func objectStoreSettings(_ environment: [String: String]) throws(ConfigurationError) -> ObjectStoreSettings? {
        let kind = (environment["BACKUP_STORAGE"] ?? "").lowercased()
        switch kind {
        case "", "dir": return nil
        case "s3": break
        default: throw ConfigurationError(variable: "BACKUP_STORAGE", "expected dir or s3, got '\(kind.prefix(40))'")
        }
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let bucket = value("S3_BUCKET") else { throw ConfigurationError(variable: "S3_BUCKET", "BACKUP_STORAGE=s3 needs the bucket's name") }
        guard let keyId = value("S3_ACCESS_KEY_ID") else { throw ConfigurationError(variable: "S3_ACCESS_KEY_ID", "BACKUP_STORAGE=s3 needs an access key id") }
        guard let secret = value("S3_SECRET_ACCESS_KEY") else {
            throw ConfigurationError(variable: "S3_SECRET_ACCESS_KEY", "BACKUP_STORAGE=s3 needs the secret access key")
        }
        let region = value("S3_REGION") ?? "us-east-1"
        let endpoint = value("S3_ENDPOINT")
        var pathStyle = endpoint != nil
        if let text = value("S3_PATH_STYLE") { pathStyle = try boolean(text, variable: "S3_PATH_STYLE") }
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

    /// Days in 0...36500; 0 keeps forever (nil).
    private static func retentionDays(_ text: String, variable: String) throws(ConfigurationError) -> Int? {
        let days = try integer(text, variable: variable, in: 0...36_500)
        return days == 0 ? nil : days
    }

    private static func integer(_ text: String, variable: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(variable: variable, "expected a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }
}

package import HTTPAPI
package import JobQueue
package import Logging
package import PostgresClient
package import Records
package import RedisClient
package import ServerJobs

/// Everything a `medicineman` process is configured with; every field has a default that runs
/// against a local Redis and PostgreSQL.
package struct PlatformConfiguration: Sendable {
    package struct HTTP: Sendable {
        package var host: String
        package var port: Int
        package init(host: String = "127.0.0.1", port: Int = 3000) {
            self.host = host
            self.port = port
        }
    }

    package var http: HTTP
    package var redis: RedisConfiguration
    package var postgres: PostgresConfiguration
    /// Where the numbered SQL migrations live.
    package var migrationsDirectory: String
    /// How long start-up waits for PostgreSQL to accept the migrations before giving up.
    package var startupTimeout: Duration
    /// Longest time one readiness probe may take before it counts as failed.
    package var readinessTimeout: Duration
    package var logLevel: Logger.Level
    package var redisPoolSize: Int
    package var postgresPoolSize: Int
    /// Opens server credentials; from `ENCRYPTION_KEY` (+ `ENCRYPTION_KEY_PREVIOUS`). `serve`
    /// refuses to start without it; `migrate` does not need it.
    package var vault: CredentialVault?
    /// Where backup archives are stored (`BACKUP_DIR`).
    package var backupDirectory: String
    /// Archives go to this object store instead (`BACKUP_STORAGE=s3`, `S3_*`).
    package var objectStore: ObjectStoreSettings?
    /// BullMQ key prefix of the job queues (`QUEUE_PREFIX`).
    package var queuePrefix: String
    /// Bearer token `/metrics` requires (`METRICS_TOKEN`); nil leaves it open.
    package var metricsToken: String?
    /// Where spans are exported over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT`); nil: tracing is off.
    package var traceExport: TraceExportSettings?
    /// Writes per caller and minute across all instances (`WRITE_LIMIT_PER_MINUTE`).
    package var writeLimitPerMinute: Int = 120
    /// How long a verified bearer token is trusted without asking PostgreSQL again
    /// (`AUTH_CACHE_SECONDS`; 0 checks every request).
    package var authCacheLifetime: Duration = .seconds(5)
    /// Token lookups that found nothing one client network may cause a minute before its
    /// uncached tokens are answered 429 without a lookup (`BAD_TOKEN_LIMIT_PER_MINUTE`; 0: no limit).
    package var badTokenLimitPerMinute: Int = 30
    /// Uncached bearer-token lookups run at once (`AUTH_LOOKUP_SLOTS`); nil: a quarter of the
    /// PostgreSQL pool, rounded up, so made-up tokens leave the rest of it to the work.
    package var authLookupSlots: Int?
    /// What `authLookupSlots` comes to: never more than the pool.
    package var effectiveAuthLookupSlots: Int { min(authLookupSlots ?? (postgresPoolSize + 3) / 4, postgresPoolSize) }
    /// Whether the API holds the digests of the live API tokens in memory, so a made-up `mm_` token
    /// is refused without a lookup (`AUTH_TOKEN_DIGESTS`; off: each costs one, bounded as above).
    package var holdsTokenDigests = true
    /// Replaces every queue's job lock duration (`JOB_LOCK_SECONDS`); for tests and tuning, since
    /// a crashed worker's job is recovered only after its lock expires.
    package var jobLockOverride: Duration?
    /// Longest a backup's transfer may run (`BACKUP_TIMEOUT_HOURS`): a server that sends a byte
    /// now and then must not hold a backup slot for ever.
    package var backupTimeout: Duration = .seconds(24 * 3600)
    /// How often due schedules are looked for and records reconciled with jobs (`SCHEDULER_INTERVAL_SECONDS`).
    package var schedulerInterval: Duration = .seconds(15)
    /// On SIGTERM, running jobs may finish for this long; then they are cancelled (their SSH
    /// sessions closed) and handed back to their queue at once (`SHUTDOWN_GRACE_SECONDS`).
    package var shutdownGrace: Duration = .seconds(30)
    /// Signs login sessions when set (`SESSION_SECRET`, at least 32 characters); otherwise the
    /// signing secret is derived from `ENCRYPTION_KEY`'s bytes.
    package var sessionSecret: String?
    /// Login attempts per client address and per username a minute (`LOGIN_LIMIT_PER_MINUTE`,
    /// `LOGIN_LIMIT_PER_USERNAME_PER_MINUTE`).
    package var loginLimits = LoginThrottle.Limits()
    /// An HTTP connection with no request arriving for this long is closed (`HTTP_IDLE_TIMEOUT_SECONDS`).
    package var httpIdleTimeout: Duration = .seconds(30)
    /// A request's head and body must arrive within this time (`HTTP_READ_TIMEOUT_SECONDS`).
    package var httpReadTimeout: Duration = .seconds(30)
    /// Lets webhooks call loopback, private and link-local addresses (`WEBHOOK_ALLOW_PRIVATE`);
    /// off, such targets are refused (server-side request forgery).
    package var webhookAllowPrivate = false
    /// Seal new archives at rest (`ENCRYPT_BACKUPS`); nil leaves it to the `encrypt_backups`
    /// platform setting, which migration 0014 turns on for new installs.
    package var encryptBackups: Bool?
    /// Days audit entries are kept (`AUDIT_RETENTION_DAYS`; nil, set as 0: forever).
    package var auditRetentionDays: Int? = 365
    /// Days finished job attempts and settled webhook deliveries are kept
    /// (`HISTORY_RETENTION_DAYS`; nil, set as 0: forever).
    package var historyRetentionDays: Int? = 90
    /// Days finished scans are kept (`SCAN_RETENTION_DAYS`; nil, set as 0: forever); each
    /// server's latest completed scan stays however old.
    package var scanRetentionDays: Int? = 90
    /// Days finished updates are kept (`UPDATE_RETENTION_DAYS`; nil, set as 0: forever); each
    /// server's latest completed check and upgrade stay however old.
    package var updateRetentionDays: Int? = 365
    /// What the cleanup duty removes from PostgreSQL, and after how many days.
    package var historyRetention: [HistoryPruner.History: Int] {
        var days: [HistoryPruner.History: Int] = [:]
        days[.auditLog] = auditRetentionDays
        days[.jobAttempts] = historyRetentionDays
        days[.webhookDeliveries] = historyRetentionDays
        days[.scans] = scanRetentionDays
        days[.updates] = updateRetentionDays
        return days
    }
    /// Attempts, backoff and retention of every job the platform enqueues.
    package var jobOptions: JobOptions = ServerJobQueue.defaultJobOptions
    /// Live job event streams one user may hold open (`SSE_MAX_STREAMS_PER_USER`).
    package var maxEventStreamsPerUser: Int = 20
    /// Live job event streams the process holds open in all (`SSE_MAX_STREAMS`).
    package var maxEventStreams: Int = 1000
    /// Dashboard cookies are always marked Secure (`SECURE_COOKIES=true`, TLS in front); otherwise
    /// only when a proxy says the request came over https (`X-Forwarded-Proto: https`).
    package var secureCookies = false
    /// The address the first-run setup link names (`PUBLIC_URL`); default `http://HOST:PORT`.
    package var publicURL: String?

    package init(
        http: HTTP = HTTP(),
        redis: RedisConfiguration = RedisConfiguration(),
        postgres: PostgresConfiguration = PostgresConfiguration(),
        migrationsDirectory: String = "migrations",
        startupTimeout: Duration = .seconds(60),
        readinessTimeout: Duration = .seconds(3),
        logLevel: Logger.Level = .info,
        redisPoolSize: Int = 16,
        postgresPoolSize: Int = 10,
        vault: CredentialVault? = nil,
        backupDirectory: String = "backups",
        queuePrefix: String = "bull"
    ) {
        self.http = http
        self.redis = redis
        self.postgres = postgres
        self.migrationsDirectory = migrationsDirectory
        self.startupTimeout = startupTimeout
        self.readinessTimeout = readinessTimeout
        self.logLevel = logLevel
        self.redisPoolSize = redisPoolSize
        self.postgresPoolSize = postgresPoolSize
        self.vault = vault
        self.backupDirectory = backupDirectory
        self.queuePrefix = queuePrefix
    }

    /// The archive storage every part of the process shares: the object store when configured,
    /// the backup directory otherwise.
    package func backupStorage() -> BackupStorage {
        BackupStorage(root: backupDirectory, objectStore: objectStore.map { ObjectStore(settings: $0) })
    }

    /// The vault, or the start-up error that says how to provide the key.
    package func requireVault() throws(ConfigurationError) -> CredentialVault {
        guard let vault else {
            throw ConfigurationError(
                variable: "ENCRYPTION_KEY",
                "not set: give 64 hex characters (e.g. `openssl rand -hex 32`); scripts/run.sh generates one into .local/run/encryption.key")
        }
        return vault
    }
}

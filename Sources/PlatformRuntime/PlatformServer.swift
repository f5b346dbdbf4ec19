import HTTPAPI
import Hummingbird
import JobQueue
import Records
import ServerJobs
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// `medicineman serve`: migrates, then runs the HTTP API and the backup, scan and update workers
/// as services of one group that drains on SIGTERM or SIGINT.
public struct PlatformServer: Sendable {
    public static let version = "0.1.0"

    public let configuration: PlatformConfiguration
    let logger: Logger

    public init(configuration: PlatformConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// What a process runs: the HTTP API, workers for some queues, or both (`serve`).
    public struct Roles: Sendable {
        public var api: Bool
        public var workerQueues: [ServerJobQueue]

        public init(api: Bool = true, workerQueues: [ServerJobQueue] = ServerJobQueue.all) {
            self.api = api
            self.workerQueues = workerQueues
        }
    }

    public func run(_ roles: Roles = Roles()) async throws {
        let vault = try configuration.requireVault()
        let resources = try PlatformResources(configuration: configuration, logger: logger)
        do {
            try await resources.migrate(logger: logger)
        } catch {
            await resources.close()
            throw error
        }
        let metrics = MetricsRegistry()
        let workers: [any Service] = try ServerJobWorkers.make(
            resources: resources, vault: vault, queues: roles.workerQueues, metrics: metrics, logger: logger)
        var services: [any Service] = [ResourceCloser(resources: resources)]
        // Where jobs are worked, the scheduler, reconciler and cleanup run too (exactly-once by design).
        if !roles.workerQueues.isEmpty { services += try ServerJobWorkers.duties(resources: resources, metrics: metrics, logger: logger) }
        if roles.api {
            let eventStreams = makeEventStreams()
            services.append(try makeApplication(resources: resources, metrics: metrics, eventStreams: eventStreams))
            // Listed after the application so it is shut down before it: open streams end, and the
            // HTTP server's graceful shutdown does not wait on them.
            services.append(EventStreamCloser(hub: eventStreams))
        }
        // A service that fails (the HTTP port is taken, say) shuts the whole group down in order and
        // its error ends `run`; one that returns early does too, as an error.
        let group = ServiceGroup(configuration: .init(
            services: (services + workers).map {
                .init(service: $0, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
        logger.notice("medicineman stopped cleanly")
    }

    /// The process's live event stream hub, with the configured caps.
    public func makeEventStreams() -> JobEventHub {
        JobEventHub(limits: .init(perUser: configuration.maxEventStreamsPerUser, total: configuration.maxEventStreams), logger: logger)
    }

    /// The HTTP application on its own, for tests that drive it without sockets.
    public func makeApplication(resources: PlatformResources, metrics: MetricsRegistry = MetricsRegistry(),
                                eventStreams: JobEventHub? = nil) throws -> some ApplicationProtocol {
        let queues = try ServerJobQueue.all.map { try Queue(name: $0.name, prefix: configuration.queuePrefix, redis: resources.redis) }
        let users = UserRepository(database: resources.postgres)
        var domain: DomainDependencies?
        var sessions: SessionTokens?
        let identityCache = IdentityCache(lifetime: configuration.authCacheLifetime)
        if let vault = configuration.vault {
            let servers = ServerRepository(database: resources.postgres, vault: vault)
            sessions = SessionTokens(secret: SessionTokens.derive(from: vault.currentKey))
            domain = DomainDependencies(
                servers: servers, backups: BackupRepository(database: resources.postgres), schedules: BackupScheduleRepository(database: resources.postgres),
                scans: ScanRepository(database: resources.postgres),
                updates: UpdateRepository(database: resources.postgres), audit: AuditLogRepository(database: resources.postgres),
                dispatcher: try ServerJobDispatcher(redis: resources.redis, prefix: configuration.queuePrefix,
                                                    onEnqueued: { metrics.recordEnqueued($0) }),
                connector: ServerConnector(servers: servers, logger: logger, onOutcome: { metrics.recordSSHConnection($0) }),
                users: users, sessions: sessions, identityCache: identityCache)
        }
        let router = try buildRouter(APIDependencies(
            readiness: DependencyReadiness(resources: resources), version: Self.version,
            authenticator: PlatformAuthenticator(users: users, sessions: sessions, cache: identityCache), queues: queues, domain: domain,
            metrics: metrics, metricsToken: configuration.metricsToken,
            writeRateLimit: WriteRateLimitMiddleware(redis: resources.redis, limitPerMinute: configuration.writeLimitPerMinute),
            eventStreams: eventStreams ?? makeEventStreams()))
        let logger = self.logger
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "medicineman"),
            onServerRunning: { channel in
                logger.notice("medicineman is listening", metadata: [
                    "address": "http://\(channel.localAddress?.ipAddress ?? "?"):\(channel.localAddress?.port ?? 0)",
                ])
            },
            logger: logger
        )
    }
}

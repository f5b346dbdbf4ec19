import Dashboard
import Foundation
package import HTTPAPI
package import Hummingbird
import JobQueue
import Notifications
import Records
package import ServerJobs
package import Logging
import NIOCore
import ServiceLifecycle
package import Tracing
import UnixSignals

/// `medicineman serve`: migrates, then runs the HTTP API and the backup, scan and update workers
/// as services of one group that drains on SIGTERM or SIGINT.
package struct PlatformServer: Sendable {
    package static let version = "0.1.0"

    package let configuration: PlatformConfiguration
    let logger: Logger
    /// Traces requests, job attempts and SSH steps; `run` replaces it with the OTLP exporter's
    /// when `configuration.traceExport` is set. Tests inject their own.
    let tracer: any Tracer

    package init(configuration: PlatformConfiguration, logger: Logger, tracer: any Tracer = NoOpTracer()) {
        self.configuration = configuration
        self.logger = logger
        self.tracer = tracer
    }

    /// What a process runs: the HTTP API, workers for some queues, or both (`serve`).
    package struct Roles: Sendable {
        package var api: Bool
        package var workerQueues: [ServerJobQueue]

        package init(api: Bool = true, workerQueues: [ServerJobQueue] = ServerJobQueue.all) {
            self.api = api
            self.workerQueues = workerQueues
        }
    }

    package func run(_ roles: Roles = Roles()) async throws {
        let tracing = try PlatformTracing.make(configuration.traceExport)
        guard let exporter = tracing.exporter else { return try await run(roles, exporter: nil) }
        try await PlatformServer(configuration: configuration, logger: logger, tracer: tracing.tracer).run(roles, exporter: exporter)
    }

    private func run(_ roles: Roles, exporter: (any Service)?) async throws {
        let vault = try configuration.requireVault()
        let resources = try PlatformResources(configuration: configuration, logger: logger)
        let running: [any Service]
        do {
            running = try await assemble(roles, resources: resources, vault: vault, exporter: exporter)
        } catch {
            // Nothing runs yet, so no service will close them.
            await resources.close()
            throw error
        }
        // A service that fails (the HTTP port is taken, say) shuts the whole group down in order and
        // its error ends `run`; one that returns early does too, as an error.
        let group = ServiceGroup(
            configuration: .init(
                services: running.map {
                    .init(service: $0, successTerminationBehavior: .cancelGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
        try await group.run()
        logger.notice("medicineman stopped cleanly")
    }

    /// Migrates, then builds the services of `roles` in the order they start (and shut down in reverse).
    private func assemble(
        _ roles: Roles, resources: PlatformResources, vault: CredentialVault, exporter: (any Service)?
    ) async throws -> [any Service] {
        try await resources.migrate(logger: logger)
        // Which storage the archives go to (the object store's settings print without the secret).
        logger.notice("archive storage", metadata: ["storage": "\(configuration.objectStore.map { "\($0)" } ?? "dir \(configuration.backupDirectory)")"])
        let metrics = MetricsRegistry()
        let services = try PlatformServices(
            resources: resources, vault: vault, jobMetrics: ServerJobMetrics(factory: metrics.factory), tracer: tracer, logger: logger)
        // Webhook URLs stored before they were sealed (migration 0019) are sealed now, with the key.
        WebhookNotifier.report(try await services.webhooks.sealPlainURLs(), logger: logger)
        let notifier = try ServerJobWorkers.notifier(services: services, logger: logger)
        let workers = try ServerJobWorkers.make(
            services: services, queues: roles.workerQueues, metrics: metrics, notifier: notifier, tracer: tracer, logger: logger)
        // The span exporter first, so it is shut down last and sends the final batch.
        var running: [any Service] = (exporter.map { [$0] } ?? []) + [ResourceCloser(resources: resources)]
        // Where jobs are worked, the scheduler, reconciler, cleanup and notifications run too (exactly-once by design).
        if !roles.workerQueues.isEmpty {
            running += ServerJobWorkers.duties(services: services, notifier: notifier, logger: logger)
            running += try ServerJobWorkers.notifications(services: services, notifier: notifier, metrics: metrics, logger: logger)
        }
        if roles.api {
            let eventStreams = makeEventStreams()
            running.append(try makeApplication(services: services, metrics: metrics, eventStreams: eventStreams))
            // Listed after the application so it is shut down before it: open streams end, and the
            // HTTP server's graceful shutdown does not wait on them.
            running.append(EventStreamCloser(hub: eventStreams))
            await announceSetupLink(resources: resources)
        } else {
            running.append(try makeProbeApplication(resources: resources, metrics: metrics))
        }
        return running + workers
    }

    /// The process's live event stream hub, with the configured caps.
    package func makeEventStreams() -> JobEventHub {
        JobEventHub(limits: .init(perUser: configuration.maxEventStreamsPerUser, total: configuration.maxEventStreams), logger: logger)
    }

    /// The HTTP application on its own, for tests that drive it without sockets (without
    /// ENCRYPTION_KEY: the probes, sign-in and metrics only).
    package func makeApplication(resources: PlatformResources, metrics: MetricsRegistry = MetricsRegistry()) throws -> some ApplicationProtocol {
        let services = try configuration.vault.map {
            try PlatformServices(resources: resources, vault: $0, jobMetrics: ServerJobMetrics(factory: metrics.factory), tracer: tracer, logger: logger)
        }
        return try makeApplication(resources: resources, services: services, metrics: metrics, eventStreams: nil)
    }

    func makeApplication(services: PlatformServices, metrics: MetricsRegistry, eventStreams: JobEventHub?) throws -> some ApplicationProtocol {
        try makeApplication(resources: services.resources, services: services, metrics: metrics, eventStreams: eventStreams)
    }

    private func makeApplication(
        resources: PlatformResources, services: PlatformServices?, metrics: MetricsRegistry, eventStreams: JobEventHub?
    ) throws -> some ApplicationProtocol {
        let queues = try ServerJobQueue.all.map { try Queue(name: $0.name, prefix: configuration.queuePrefix, redis: resources.redis) }
        let users = UserRepository(database: resources.postgres)
        var domain: DomainDependencies?
        var sessions: SessionTokens?
        var signingSecret: [UInt8] = []
        let identityCache = IdentityCache(lifetime: configuration.authCacheLifetime)
        if let services {
            signingSecret = SessionTokens.signingSecret(sessionSecret: configuration.sessionSecret, encryptionKey: services.vault.currentKey)
            let tokens = SessionTokens(secret: signingSecret)
            sessions = tokens
            domain = services.domain(sessions: tokens, identityCache: identityCache)
        }
        let lookups = TokenLookupSlots(limit: configuration.effectiveAuthLookupSlots)
        let badTokens = newBadTokenLimit()
        let authenticator = PlatformAuthenticator(
            users: users, sessions: sessions, cache: identityCache, lookups: lookups, badTokens: badTokens,
            known: configuration.holdsTokenDigests ? KnownTokenDigests(source: users, logger: logger) : nil)
        // The dashboard's cookie sessions use the login JWTs and their secret (none without ENCRYPTION_KEY).
        let browserSessions = sessions.map {
            BrowserSessions(
                tokens: $0, authenticator: authenticator, users: users, secret: signingSecret, redis: resources.redis,
                alwaysSecure: configuration.secureCookies)
        }
        let router = try buildRouter(
            APIDependencies(
                readiness: SharedReadiness(DependencyReadiness(resources: resources)), version: Self.version,
                authenticator: authenticator, queues: queues, domain: domain,
                metrics: metrics, metricsToken: configuration.metricsToken, metricsTokenGuesses: newBadTokenLimit(),
                writeRateLimit: WriteRateLimitMiddleware(redis: resources.redis, limitPerMinute: configuration.writeLimitPerMinute),
                eventStreams: eventStreams ?? makeEventStreams(), browserSessions: browserSessions, tracer: tracer))
        if let domain, let browserSessions {
            try Dashboard(domain: domain, queues: queues, sessions: browserSessions, redis: resources.redis, version: Self.version, logger: self.logger)
                .addRoutes(to: router)
        }
        return serve(router)
    }

    /// `/health`, `/ready` and `/metrics` of a process without the API (`medicineman worker`).
    package func makeProbeApplication(resources: PlatformResources, metrics: MetricsRegistry) throws -> some ApplicationProtocol {
        let queues = try ServerJobQueue.all.map { try Queue(name: $0.name, prefix: configuration.queuePrefix, redis: resources.redis) }
        return serve(
            buildProbeRouter(
                APIDependencies(
                    readiness: SharedReadiness(DependencyReadiness(resources: resources)), version: Self.version, authenticator: NoBearerTokens(),
                    queues: queues,
                    metrics: metrics, metricsToken: configuration.metricsToken,
                    metricsTokenGuesses: newBadTokenLimit())))
    }

    /// A count of bearer tokens that prove nothing, per client network (`BAD_TOKEN_LIMIT_PER_MINUTE`;
    /// 0: none): one for the API's lookups, one for guesses at `METRICS_TOKEN`.
    private func newBadTokenLimit() -> BadTokenLimit? {
        configuration.badTokenLimitPerMinute > 0 ? BadTokenLimit(perMinute: configuration.badTokenLimitPerMinute) : nil
    }

    /// The HTTP server around a router: listening address, idle and read timeouts.
    private func serve(_ router: Router<APIRequestContext>) -> some ApplicationProtocol {
        let logger = self.logger
        let readTimeout = TimeAmount.seconds(configuration.httpReadTimeout.components.seconds)
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [RequestReadTimeoutHandler(timeout: readTimeout)],
                    idleTimeout: .seconds(configuration.httpIdleTimeout.components.seconds))),
            configuration: .init(address: .hostname(configuration.http.host, port: configuration.http.port), serverName: "medicineman"),
            onServerRunning: { channel in
                logger.notice(
                    "medicineman is listening",
                    metadata: [
                        "address": "http://\(channel.localAddress?.ipAddress ?? "?"):\(channel.localAddress?.port ?? 0)"
                    ])
            },
            logger: logger
        )
    }

    /// First run: while no admin exists, prints a one-time link (valid an hour) that creates the
    /// first admin from the dashboard. On standard output, so it shows whatever `LOG_LEVEL` says.
    func announceSetupLink(resources: PlatformResources) async {
        let host = ["0.0.0.0", "::", ""].contains(configuration.http.host) ? "127.0.0.1" : configuration.http.host
        let base = configuration.publicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(configuration.http.port)"
        do {
            guard
                let link = try await Dashboard.setupLinkIfNeeded(
                    users: UserRepository(database: resources.postgres), redis: resources.redis,
                    baseURL: base)
            else { return }
            FileHandle.standardOutput.write(
                Data(
                    """

                    No admin account exists yet. Open this one-time link (valid for 1 hour) to create the first admin:

                        \(link)

                    (or create one with: medicineman user create --username NAME --role admin)


                    """.utf8))
        } catch {
            logger.warning("could not prepare the first-run setup link", metadata: ["error": "\(error)"])
        }
    }
}

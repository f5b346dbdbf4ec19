package import Hummingbird
package import JobQueue
import JSONSupport
import Logging
package import Tracing

/// Everything the HTTP layer needs from the rest of the platform.
package struct APIDependencies: Sendable {
    package var readiness: any ReadinessChecking
    package var version: String
    /// Checks bearer tokens for `/api`.
    package var authenticator: any TokenAuthenticating
    /// The platform's job queues.
    package var queues: [Queue]
    /// Records and job dispatch for the domain routes; nil serves only the job routes.
    package var domain: DomainDependencies?
    /// Counters and histograms shown on `/metrics` (shared with the process's workers).
    package var metrics: MetricsRegistry
    /// When set, `/metrics` needs this bearer token (`METRICS_TOKEN`).
    package var metricsToken: String?
    /// Guesses at `METRICS_TOKEN` per client network: bearer tokens `/metrics` and `/ready` are
    /// shown that are neither it nor a user's. A count of its own, not the API's, so guessing
    /// holds back only the guessing network's scrapes, never its users' API tokens. Nil: no limit.
    package var metricsTokenGuesses: BadTokenLimit?
    /// Per-caller write limit shared through Redis; nil: no limit.
    package var writeRateLimit: WriteRateLimitMiddleware?
    /// The live job event streams; one per process, shared by every request.
    package var eventStreams: JobEventHub
    /// Dashboard sessions: when set, `/api` also accepts the session cookie (with CSRF checks on writes).
    package var browserSessions: BrowserSessions?
    /// Traces each request; the no-op tracer unless the platform exports traces.
    package var tracer: any Tracer

    package init(
        readiness: any ReadinessChecking, version: String, authenticator: any TokenAuthenticating, queues: [Queue],
        domain: DomainDependencies? = nil, metrics: MetricsRegistry = MetricsRegistry(), metricsToken: String? = nil,
        metricsTokenGuesses: BadTokenLimit? = nil, writeRateLimit: WriteRateLimitMiddleware? = nil, eventStreams: JobEventHub = JobEventHub(),
        browserSessions: BrowserSessions? = nil, tracer: any Tracer = NoOpTracer()
    ) {
        self.eventStreams = eventStreams
        self.tracer = tracer
        self.readiness = readiness
        self.version = version
        self.authenticator = authenticator
        self.queues = queues
        self.domain = domain
        self.metrics = metrics
        self.metricsToken = metricsToken
        self.metricsTokenGuesses = metricsTokenGuesses
        self.writeRateLimit = writeRateLimit
        self.browserSessions = browserSessions
    }
}

/// Builds the router: `/health`, `/ready`, `/metrics` and `/openapi.json` without a token; `/api` with the error envelope and
/// bearer authentication.
package func buildRouter(_ dependencies: APIDependencies) throws -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: HTTPTracingMiddleware<APIRequestContext>(tracer: dependencies.tracer))
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: HTTPMetricsMiddleware<APIRequestContext>(factory: dependencies.metrics.factory))
    addProbes(to: router, dependencies, withDomain: true)
    try OpenAPIController<APIRequestContext>().addRoutes(to: router)
    let api = router.group("api")
        .add(middleware: NoStoreMiddleware())
        .add(middleware: BearerAuthMiddleware(authenticator: dependencies.authenticator, browserSessions: dependencies.browserSessions))
    if let limit = dependencies.writeRateLimit { api.add(middleware: limit) }
    JobsController(queues: dependencies.queues, eventStreams: dependencies.eventStreams, audit: dependencies.domain?.audit).addRoutes(to: api)
    QueuesController(queues: dependencies.queues, audit: dependencies.domain?.audit).addRoutes(to: api)
    if let domain = dependencies.domain {
        ServersController(domain: domain).addRoutes(to: api)
        RecordsController(domain: domain).addRoutes(to: api)
        BackupFilesController(domain: domain).addRoutes(to: api)
        DrillsController(domain: domain).addRoutes(to: api)
        SchedulesController(domain: domain).addRoutes(to: api)
        if let webhooks = domain.webhooks { WebhooksController(webhooks: webhooks, audit: domain.audit).addRoutes(to: api) }
        UsersController(
            users: domain.users, sessions: domain.sessions, audit: domain.audit, identityCache: domain.identityCache,
            loginThrottle: domain.loginThrottle
        ).addRoutes(to: api)
    }
    return router
}

/// The router of a process without the API (`medicineman worker`): `/health`, `/ready` and
/// `/metrics`, so Prometheus scrapes workers' counters too.
package func buildProbeRouter(_ dependencies: APIDependencies) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    addProbes(to: router, dependencies, withDomain: false)
    return router
}

/// The error envelope (at the root, so an unknown route or an unreadable path gets it too),
/// `/health`, `/ready` (details only for a caller with a token) and `/metrics`; the record-based
/// metrics only where the process serves the API.
func addProbes(to router: Router<APIRequestContext>, _ dependencies: APIDependencies, withDomain: Bool) {
    router.add(middleware: ErrorEnvelopeMiddleware<APIRequestContext>())
    let authenticator = dependencies.authenticator
    let metricsToken = dependencies.metricsToken
    let guesses = dependencies.metricsTokenGuesses
    HealthController<APIRequestContext>(
        readiness: dependencies.readiness, version: dependencies.version,
        mayReadDetails: { request, context in
            await isAuthenticated(request, client: context.clientAddress, authenticator: authenticator, metricsToken: metricsToken, guesses: guesses)
        }
    ).addRoutes(to: router)
    let domain = withDomain ? dependencies.domain : nil
    MetricsController(
        registry: dependencies.metrics, queues: dependencies.queues, readiness: dependencies.readiness,
        backups: domain?.backups, schedules: domain?.schedules, version: dependencies.version,
        token: metricsToken, guesses: guesses, eventStreams: withDomain ? dependencies.eventStreams : nil
    ).addRoutes(to: router)
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case), if there is one.
func bearerToken(in request: Request) -> String? {
    guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
    return String(header.dropFirst("bearer ".count))
}

/// Whether a request outside `/api` carries a valid bearer token (an API or session token, or
/// `METRICS_TOKEN`). A token that could not be checked (busy, held back, database down) is
/// answered as no token and counted as nothing. One that is neither counts as a guess at
/// `METRICS_TOKEN` in `guesses`, and a network past that limit has no token compared with it
/// until its minute ends (its users' tokens still are).
func isAuthenticated(
    _ request: Request, client: String, authenticator: any TokenAuthenticating, metricsToken: String?, guesses: BadTokenLimit?
) async -> Bool {
    guard let token = bearerToken(in: request) else { return false }
    if let metricsToken, guesses?.blockedFor(client) == nil, ConstantTime.equals(token, metricsToken) { return true }
    do {
        if try await authenticator.identity(forBearer: token, from: client) != nil { return true }
    } catch {
        return false
    }
    if metricsToken != nil { guesses?.recordFailure(client) }
    return false
}

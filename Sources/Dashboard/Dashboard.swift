import Foundation
package import HTTPAPI
import JSONSupport
import HTTPTypes
package import Hummingbird
package import JobQueue
package import Logging
import Records
package import RedisClient

/// The web dashboard at `/`. Pages are rendered on the server from the same repositories and
/// queues as `/api`; the little JavaScript it ships calls `/api` with the session cookie and the
/// CSRF token, so every write passes the API's own role checks, validation and audit. The
/// router's `ErrorEnvelopeMiddleware` still wraps these routes, but page handlers answer their
/// own errors with HTML.
package struct Dashboard: Sendable {
    let domain: DomainDependencies
    let jobs: JobsController
    let queues: [Queue]
    let sessions: BrowserSessions
    let setup: SetupTokens
    let login: PasswordLogin
    let renderer: PageRenderer
    let assets: AssetRoutes
    let logger: Logger
    /// Whether an active admin exists. Anonymous pages (sign-in, setup) ask it on every request,
    /// so it is shared: at most one query at a time, each answer serving for a second.
    let adminExists: SharedResult<Result<Bool, RecordError>>

    package init(
        domain: DomainDependencies, queues: [Queue], sessions: BrowserSessions, redis: RedisConnectionPool,
        version: String, logger: Logger
    ) throws {
        self.domain = domain
        self.queues = queues
        self.jobs = JobsController(queues: queues)
        self.sessions = sessions
        self.setup = SetupTokens(redis: redis)
        self.login = PasswordLogin(users: domain.users, audit: domain.audit, throttle: domain.loginThrottle)
        self.renderer = try PageRenderer(version: version)
        self.assets = try AssetRoutes()
        self.logger = logger
        let users = domain.users
        self.adminExists = SharedResult {
            do throws(RecordError) { return .success(try await users.hasActiveAdmin()) } catch { return .failure(error) }
        }
    }

    func hasActiveAdmin() async throws(RecordError) -> Bool {
        try await adminExists.value().get()
    }

    package func addRoutes(to router: Router<APIRequestContext>) {
        assets.addRoutes(to: router)
        SignInRoutes(dashboard: self).addRoutes(to: router)
        router.get("/", use: page(OverviewPage.build))
        router.get("/jobs", use: page(JobPages.list))
        router.get("/jobs/:id", use: page(JobPages.detail))
        router.get("/servers", use: page(ServerPage.build))
        router.get("/backups", use: page(BackupPage.build))
        router.get("/schedules", use: page(SchedulePage.build))
        router.get("/schedules/preview", use: SchedulePage.preview(self))
        router.get("/scans", use: page(ScanPages.list))
        router.get("/scans/:id", use: page(ScanPages.detail))
        router.get("/updates", use: page(UpdatePage.build))
        router.get("/users", use: page(UserPage.build, least: .admin))
        router.get("/audit", use: page(AuditPage.build, least: .admin))
        router.get("/webhooks", use: page(WebhookPage.build, least: .admin))
    }

    typealias PageBuilder = @Sendable (Dashboard, Request, APIRequestContext, Viewer) async throws -> PageView

    /// A page handler: sends anyone not signed in to the sign-in page (and back afterwards),
    /// refuses a role below `least`, and renders errors as pages.
    func page(_ build: @escaping PageBuilder, least: UserRole = .viewer) -> @Sendable (Request, APIRequestContext) async throws -> Response {
        { request, context in
            guard let current = try await sessions.current(request, context: context) else {
                return renderer.redirect(to: "/login?next=" + SignInRoutes.encodeNext(request.uri.path), request: request)
            }
            let viewer = Viewer(current)
            var response: Response
            if viewer.identity.role < least {
                response = renderer.error(status: .forbidden, message: "This page needs the \(least.rawValue) role.", viewer: viewer)
            } else {
                do {
                    response = renderer.render(try await build(self, request, context, viewer), viewer: viewer)
                } catch let error as APIError {
                    response = renderer.error(status: error.status, message: error.message, viewer: viewer)
                } catch {
                    logger.error("dashboard page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
                    response = renderer.error(
                        status: .internalServerError, message: "The page could not be built; the server log says why.",
                        viewer: viewer)
                }
            }
            if let renewed = current.renewedCookie { response.setCookie(renewed) }
            return response
        }
    }
}

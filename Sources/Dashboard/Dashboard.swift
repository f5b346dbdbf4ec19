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
            guard let current = try await sessions.current(request) else {
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

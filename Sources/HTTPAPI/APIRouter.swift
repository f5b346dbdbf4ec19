import Hummingbird
import Logging

/// Everything the HTTP layer needs from the rest of the platform.
public struct APIDependencies: Sendable {
    public var readiness: any ReadinessChecking
    public var version: String

    public init(readiness: any ReadinessChecking, version: String) {
        self.readiness = readiness
        self.version = version
    }
}

/// Builds the router: health and readiness now; the `/api` routes join in later issues.
public func buildRouter(_ dependencies: APIDependencies) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    HealthController<APIRequestContext>(readiness: dependencies.readiness, version: dependencies.version).addRoutes(to: router)
    return router
}

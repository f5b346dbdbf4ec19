import Foundation
package import Hummingbird

/// `GET /health` (the process answers) and `GET /ready` (its dependencies answer too).
///
/// Both sit outside `/api` and need no token, so load balancers and orchestrators can probe them.
package struct HealthController<Context: RequestContext>: Sendable {
    struct Health: ResponseEncodable {
        var status: String
        var version: String
        var uptimeSeconds: Double
    }

    let readiness: any ReadinessChecking
    let version: String
    let startedAt: ContinuousClock.Instant
    /// Whether the caller may see each check's detail (hosts, user names); others see only
    /// which dependency is up.
    let mayReadDetails: @Sendable (Request, Context) async -> Bool

    package init(
        readiness: any ReadinessChecking, version: String, mayReadDetails: @escaping @Sendable (Request, Context) async -> Bool = { _, _ in false }
    ) {
        self.readiness = readiness
        self.version = version
        self.startedAt = .now
        self.mayReadDetails = mayReadDetails
    }

    package func addRoutes(to router: Router<Context>) {
        router.get("/health") { _, _ in
            let uptime = ContinuousClock.now - startedAt
            return Health(status: "ok", version: version, uptimeSeconds: Double(uptime.components.seconds))
        }
        router.get("/ready") { request, context in
            let full = await readiness.checkReadiness()
            let report = await mayReadDetails(request, context) ? full : full.redacted
            return EditedResponse(status: report.isReady ? .ok : .serviceUnavailable, response: report)
        }
    }
}

extension ReadinessReport: ResponseEncodable {}

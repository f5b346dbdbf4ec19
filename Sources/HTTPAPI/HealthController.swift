import Foundation
import Hummingbird

/// `GET /health` (the process answers) and `GET /ready` (its dependencies answer too).
///
/// Both sit outside `/api` and need no token, so load balancers and orchestrators can probe them.
public struct HealthController<Context: RequestContext>: Sendable {
    struct Health: ResponseEncodable {
        var status: String
        var version: String
        var uptimeSeconds: Double
    }

    let readiness: any ReadinessChecking
    let version: String
    let startedAt: ContinuousClock.Instant

    public init(readiness: any ReadinessChecking, version: String) {
        self.readiness = readiness
        self.version = version
        self.startedAt = .now
    }

    public func addRoutes(to router: Router<Context>) {
        router.get("/health") { _, _ in
            let uptime = ContinuousClock.now - startedAt
            return Health(status: "ok", version: version, uptimeSeconds: Double(uptime.components.seconds))
        }
        router.get("/ready") { _, _ in
            let report = await readiness.checkReadiness()
            return EditedResponse(status: report.isReady ? .ok : .serviceUnavailable, response: report)
        }
    }
}

extension ReadinessReport: ResponseEncodable {}

package import CoreMetrics
package import Hummingbird
import ServerJobs

/// Counts requests and times them by route template (never the raw path: no ids in labels).
/// Hummingbird's own MetricsMiddleware names its series `hb_*` with other labels; alerts and
/// dashboards are built on these.
package struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    package init(factory: any MetricsFactory) {
        self.factory = factory
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            record(method, context.endpointPath, status: response.status.code, since: started)
            return response
        } catch let error as any HTTPResponseError {
            record(method, context.endpointPath, status: error.status.code, since: started)
            throw error
        } catch {
            record(method, context.endpointPath, status: 500, since: started)
            throw error
        }
    }

    private func record(_ method: String, _ route: String?, status: Int, since started: ContinuousClock.Instant) {
        let template = route ?? "unmatched"
        Counter(
            label: "medicineman_http_requests_total", dimensions: [("method", method), ("route", template), ("status", "\(status / 100)xx")],
            factory: factory
        ).increment()
        CoreMetrics.Timer(label: "medicineman_http_request_duration_seconds", dimensions: [("method", method), ("route", template)], factory: factory)
            .recordNanoseconds((ContinuousClock.now - started).nanoseconds)
    }
}

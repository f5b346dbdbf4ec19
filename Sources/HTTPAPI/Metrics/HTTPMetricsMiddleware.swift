import Hummingbird

/// Counts requests and times them by route template (never the raw path: no ids in labels).
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: MetricsRegistry

    public init(registry: MetricsRegistry) {
        self.registry = registry
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
        registry.increment("medicineman_http_requests_total", [method, template, "\(status / 100)xx"])
        registry.observe("medicineman_http_request_duration_seconds", [method, template], (ContinuousClock.now - started).seconds)
    }
}

import HTTPTypes
package import Hummingbird
package import Tracing

/// A server span per request, named by method and route template, continuing the caller's trace
/// (W3C `traceparent` under OpenTelemetry). Hummingbird's TracingMiddleware does the same with
/// the global tracer only; this one takes the tracer it is given, so each app keeps its own.
package struct HTTPTracingMiddleware<Context: RequestContext>: RouterMiddleware {
    let tracer: any Tracer

    package init(tracer: any Tracer) {
        self.tracer = tracer
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var parent = ServiceContext.current ?? .topLevel
        tracer.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        let method = request.method.rawValue
        return try await tracer.withAnySpan(method, context: parent, ofKind: .server) { span in
            span.updateAttributes { attributes in
                attributes["http.request.method"] = method
                attributes["url.path"] = request.uri.path
            }
            do {
                let response = try await next(request, context)
                finish(span, context, status: response.status.code)
                return response
            } catch let error as any HTTPResponseError {
                finish(span, context, status: error.status.code)
                throw error
            }
        }
    }

    private func finish(_ span: any Span, _ context: Context, status: Int) {
        span.operationName = "\(span.operationName) \(context.endpointPath ?? "unmatched")"
        span.updateAttributes { attributes in
            attributes["http.response.status_code"] = status
            if let route = context.endpointPath { attributes["http.route"] = route }
        }
        if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
    }
}

struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return fields[name]
    }
}

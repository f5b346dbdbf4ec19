package import Hummingbird

/// What every `/api` answer carries: `Cache-Control: no-store` (answers hold records and tokens,
/// and the dashboard reads them with its cookie: no shared or browser cache keeps them) unless
/// the route set its own, and `X-Content-Type-Options: nosniff` (JSON is never run as a page).
/// Error envelopes get the same from `APIError.response`.
package struct NoStoreMiddleware: RouterMiddleware {
    package typealias Context = APIRequestContext

    package init() {}

    package func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        Self.mark(&response.headers)
        return response
    }

    static func mark(_ headers: inout HTTPFields) {
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        headers[.xContentTypeOptions] = "nosniff"
    }
}

package import Hummingbird
package import JSONSupport

/// Every `/api` success: `{success: true, message, data}`.
package struct APISuccess<Data: Encodable & Sendable>: ResponseEncodable, Sendable {
    package let success = true
    package var message: String
    package var data: Data

    package init(_ message: String, _ data: Data) {
        self.message = message
        self.data = data
    }

    enum CodingKeys: String, CodingKey { case success, message, data }
}

/// Every `/api` failure: `{success: false, message, error: {code, details}}` with its status.
package struct APIError: Error, HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    package var details: JSONValue
    /// Sent as `Retry-After` (429).
    package var retryAfterSeconds: Int?

    package init(_ status: HTTPResponse.Status, code: String, _ message: String, details: JSONValue = .object([:])) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    struct Body: Encodable {
        struct Failure: Encodable {
            let code: String
            let details: JSONValue
        }
        let success = false
        let message: String
        let error: Failure

        enum CodingKeys: String, CodingKey { case success, message, error }
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            Body(message: message, error: .init(code: code, details: details)),
            from: request, context: context)
        response.status = status
        if let retryAfterSeconds { response.headers[.retryAfter] = String(retryAfterSeconds) }
        NoStoreMiddleware.mark(&response.headers)
        return response
    }

    package static func validation(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "validation_failed", message, details: ["fields": [.string(field)]])
    }

    package static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", "\(what) was not found")
    }

    /// A 429 with `Retry-After`: the caller is over a limit for `seconds` more.
    static func tooManyRequests(_ code: String, _ message: String, retryAfter seconds: Int) -> APIError {
        var error = APIError(.tooManyRequests, code: code, "\(message); try again in \(seconds) s")
        error.retryAfterSeconds = seconds
        return error
    }

    /// A 503 `busy` with `Retry-After: 1`: this process is at its limit for the work, not broken.
    static func busy(_ message: String) -> APIError {
        var error = APIError(.serviceUnavailable, code: "busy", message)
        error.retryAfterSeconds = 1
        return error
    }
}

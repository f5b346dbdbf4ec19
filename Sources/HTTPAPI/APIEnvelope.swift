import Hummingbird
import JSONSupport

/// Every `/api` success: `{success: true, message, data}`.
public struct APISuccess<Data: Encodable & Sendable>: ResponseEncodable, Sendable {
    public let success = true
    public var message: String
    public var data: Data

    public init(_ message: String, _ data: Data) {
        self.message = message
        self.data = data
    }

    enum CodingKeys: String, CodingKey { case success, message, data }
}

/// Every `/api` failure: `{success: false, message, error: {code, details}}` with its status.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: JSONValue
    /// Sent as `Retry-After` (429).
    public var retryAfterSeconds: Int?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, details: JSONValue = .object([:])) {
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

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            Body(message: message, error: .init(code: code, details: details)),
            from: request, context: context)
        response.status = status
        if let retryAfterSeconds { response.headers[.retryAfter] = String(retryAfterSeconds) }
        return response
    }

    public static func validation(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "validation_failed", message, details: ["fields": [.string(field)]])
    }

    public static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", "\(what) was not found")
    }
}

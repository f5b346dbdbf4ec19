import ErrorCodes
import Foundation
package import Hummingbird
import JobQueue
import JSONSupport
import Logging
import Records
import RedisClient

/// Turns whatever a route throws into the `/api` error envelope with the right status, so no
/// handler has to, and nothing internal leaks into a response.
package struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch {
            let translated = Self.translate(error)
            if translated.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            throw translated
        }
    }

    static func translate(_ error: any Error) -> APIError {
        switch error {
        case let error as RecordError:
            let details: JSONValue = error.field.map { ["fields": [.string($0)]] } ?? .object([:])
            switch error.kind {
            case .invalid: return APIError(.badRequest, code: "validation_failed", error.message, details: details)
            case .notFound: return APIError(.notFound, code: "not_found", error.message)
            case .conflict: return APIError(.conflict, code: "conflict", error.message, details: details)
            case .unavailable: return APIError(.serviceUnavailable, code: "dependency_unavailable", "the database is unavailable; try again shortly")
            case .busy: return APIError.busy(error.message)
            default: return APIError(.internalServerError, code: "internal_error", "the request failed on the server")
            }
        case let error as JobQueueError:
            switch error.code {
            case .jobNotFound: return APIError(.notFound, code: "not_found", error.message)
            case .jobIsLocked, .notInExpectedState: return APIError(.conflict, code: "conflict", error.message)
            case .invalidOptions, .invalidJSON: return APIError(.badRequest, code: "validation_failed", error.message)
            default: return APIError(.internalServerError, code: "internal_error", "the request failed on the server")
            }
        case let error as RedisError where error.isRetryable:
            return APIError(.serviceUnavailable, code: "dependency_unavailable", "Redis is unavailable; try again shortly")
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return APIError(.contentTooLarge, code: "body_too_large", "the request body is too large")
            case .notFound: return APIError(.notFound, code: "not_found", "no such route; the API is described at /openapi.json")
            case .badRequest: return APIError(.badRequest, code: "bad_request", error.body ?? "the request could not be read")
            default: return APIError(error.status, code: "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
        case let error as DecodingError:
            return Self.decoding(error)
        default:
            return APIError(.internalServerError, code: "internal_error", "the request failed on the server")
        }
    }

    /// Names the field a JSON body got wrong.
    static func decoding(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            return keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context, key)
            return .validation(field, "\(field) is required")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context)
            return .validation(field.isEmpty ? "body" : field, "\(field.isEmpty ? "the body" : field) has the wrong type")
        case .dataCorrupted(let context):
            let field = path(context)
            return field.isEmpty
                ? APIError(.badRequest, code: "invalid_json", "the body is not valid JSON")
                : .validation(field, "\(field) is not valid: \(context.debugDescription)")
        @unknown default:
            return APIError(.badRequest, code: "invalid_json", "the body could not be read")
        }
    }
}

import Foundation
package import Hummingbird
import Records
package import RedisClient

/// Limits writes (POST, PUT, PATCH, DELETE) per caller across every instance: a Redis counter per
/// caller and minute, in one script. Over the limit is a 429 with `Retry-After`.
package struct WriteRateLimitMiddleware: RouterMiddleware {
    package typealias Context = APIRequestContext
    let counter: RedisWindowCounter
    let limitPerMinute: Int
    let prefix: String

    package init(redis: RedisConnectionPool, limitPerMinute: Int = 120, prefix: String = "medicineman") {
        self.counter = RedisWindowCounter(redis: redis)
        self.limitPerMinute = limitPerMinute
        self.prefix = prefix
    }

    package func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch, .delete].contains(request.method), let identity = context.identity else {
            return try await next(request, context)
        }
        let hits = try await counter.hit("\(prefix):rate:\(identity.userId.lowercasedString)", window: .seconds(60))
        if hits.count > limitPerMinute {
            throw APIError.tooManyRequests("rate_limited", "more than \(limitPerMinute) writes a minute", retryAfter: hits.retryAfterSeconds)
        }
        return try await next(request, context)
    }
}

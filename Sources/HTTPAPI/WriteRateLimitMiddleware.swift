import Foundation
import Hummingbird
import RedisClient

/// Limits writes (POST, PUT, PATCH, DELETE) per caller across every instance: a Redis counter per
/// caller and minute, in one script. Over the limit is a 429 with `Retry-After`.
public struct WriteRateLimitMiddleware: RouterMiddleware {
    public typealias Context = APIRequestContext
    let redis: RedisConnectionPool
    let limitPerMinute: Int
    let prefix: String

    public init(redis: RedisConnectionPool, limitPerMinute: Int = 120, prefix: String = "medicineman") {
        self.redis = redis
        self.limitPerMinute = limitPerMinute
        self.prefix = prefix
    }

    static let script = RedisScript(name: "rateLimitWrite", source: """
        local count = redis.call("INCR", KEYS[1])
        if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
        return {count, redis.call("PTTL", KEYS[1])}
        """)

    public func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch, .delete].contains(request.method), let identity = context.identity else {
            return try await next(request, context)
        }
        let key = RedisArgument("\(prefix):rate:\(identity.userId.uuidString.lowercased())")
        let reply = try await redis.evalScript(Self.script, keys: [key], arguments: [60_000]).array ?? []
        let count = reply.first?.int ?? 0
        if count > limitPerMinute {
            let seconds = max(1, ((reply.last?.int ?? 60_000) + 999) / 1000)
            var error = APIError(.tooManyRequests, code: "rate_limited", "more than \(limitPerMinute) writes a minute; try again in \(seconds) s")
            error.retryAfterSeconds = seconds
            throw error
        }
        return try await next(request, context)
    }
}

package import Foundation
import Records
package import RedisClient

/// One job per server at a time, across every queue and process: a Redis key per server holding
/// the owner's token, with an expiry renewed while the job runs (a crashed owner frees it).
package struct ServerLease: Sendable {
    let redis: RedisConnectionPool
    let prefix: String
    package let duration: Duration

    package init(redis: RedisConnectionPool, prefix: String = "medicineman", duration: Duration = .seconds(60)) {
        self.redis = redis
        self.prefix = prefix
        self.duration = duration
    }

    func key(_ serverId: UUID) -> RedisArgument { RedisArgument("\(prefix):server-lease:\(serverId.lowercasedString)") }
    private var milliseconds: Int { Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000) }

    /// Takes the lease for `token`; false when another job holds it.
    package func acquire(_ serverId: UUID, token: String) async throws -> Bool {
        let reply = try await redis.command(["SET", key(serverId), RedisArgument(token), "NX", "PX", RedisArgument(milliseconds)])
        return reply.string == "OK"
    }

    /// Extends the lease if `token` still holds it.
    package func renew(_ serverId: UUID, token: String) async throws -> Bool {
        try await redis.evalScript(Self.renewScript, keys: [key(serverId)], arguments: [RedisArgument(token), RedisArgument(milliseconds)]).int == 1
    }

    package func release(_ serverId: UUID, token: String) async throws {
        _ = try await redis.evalScript(Self.releaseScript, keys: [key(serverId)], arguments: [RedisArgument(token)])
    }

    static let renewScript = RedisScript(
        name: "renewServerLease",
        source: """
            if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
            return 0
            """)

    static let releaseScript = RedisScript(
        name: "releaseServerLease",
        source: """
            if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
            return 0
            """)
}

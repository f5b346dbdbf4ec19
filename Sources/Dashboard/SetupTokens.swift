import Crypto
import Foundation
package import Records
package import RedisClient

/// One-time links that let the first admin be created from the dashboard. A token is 32 random
/// bytes shown once; Redis keeps only its SHA-256, for an hour. Redeeming one takes a lock so two
/// setups cannot race, and deletes the token.
struct SetupTokens: Sendable {
    let redis: RedisConnectionPool
    static let lifetimeSeconds = 3600

    /// A new token, valid for an hour.
    func issue() async throws -> String {
        var random = SystemRandomNumberGenerator()
        let token = Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        _ = try await redis.command(["SET", RedisArgument(Self.key(token)), "1", "EX", RedisArgument(Self.lifetimeSeconds)])
        return token
    }

    func isValid(_ token: String) async throws -> Bool {
        guard Self.looksValid(token) else { return false }
        return try await redis.command(["EXISTS", RedisArgument(Self.key(token))]).int == 1
    }

    /// Runs `body` if the token is valid and no other setup runs; the token is used up when `body` succeeds.
    func redeem<Result: Sendable>(_ token: String, _ body: () async throws -> Result) async throws -> Result? {
        guard Self.looksValid(token) else { return nil }
        let lock = "medicineman:dashboard:setup-lock"
        guard try await redis.command(["SET", RedisArgument(lock), "1", "NX", "EX", 30]).string == "OK" else { return nil }
        do {
            guard try await isValid(token) else {
                _ = try await redis.command(["DEL", RedisArgument(lock)])
                return nil
            }
            let result = try await body()
            // Two commands: the keys hash to different slots of a Redis Cluster (one DEL would be CROSSSLOT).
            _ = try await redis.command(["DEL", RedisArgument(Self.key(token))])
            _ = try await redis.command(["DEL", RedisArgument(lock)])
            return result
        } catch {
            _ = try? await redis.command(["DEL", RedisArgument(lock)])
            throw error
        }
    }

    static func looksValid(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func key(_ token: String) -> String {
        "medicineman:dashboard:setup:" + Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }
}

extension Dashboard {
    /// When no active admin exists: a new one-time setup link under `baseURL` (e.g.
    /// `http://127.0.0.1:3000`), valid for an hour; nil once an admin exists.
    package static func setupLinkIfNeeded(users: UserRepository, redis: RedisConnectionPool, baseURL: String) async throws -> String? {
        guard try await !users.hasActiveAdmin() else { return nil }
        let token = try await SetupTokens(redis: redis).issue()
        return "\(baseURL)/setup?token=\(token)"
    }
}

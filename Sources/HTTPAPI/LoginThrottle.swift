import Crypto
import Foundation
import Records
package import RedisClient

/// Bounds login attempts per client network (an IPv6 client by its /64, `ClientNetwork`) and per
/// username across every instance, before any password is checked, so neither guessing nor a
/// flood of bcrypt work scales with requests. Unknown usernames are counted like known ones: the
/// limit tells nothing about who exists.
package struct LoginThrottle: Sendable {
    package struct Limits: Sendable {
        /// Attempts per client network and minute.
        package var perClientPerMinute: Int
        /// Attempts per username (any client) and minute.
        package var perUsernamePerMinute: Int

        package init(perClientPerMinute: Int = 20, perUsernamePerMinute: Int = 10) {
            self.perClientPerMinute = perClientPerMinute
            self.perUsernamePerMinute = perUsernamePerMinute
        }
    }

    let counter: RedisWindowCounter
    let limits: Limits
    let prefix: String

    package init(redis: RedisConnectionPool, limits: Limits = Limits(), prefix: String = "medicineman") {
        self.counter = RedisWindowCounter(redis: redis)
        self.limits = limits
        self.prefix = prefix
    }

    /// Counts one attempt; throws 429 when the client or the username is over its limit.
    func admit(client: String, username: String) async throws {
        let byClient = try await counter.hit("\(prefix):login:client:\(Self.digest(ClientNetwork.key(client)))", window: .seconds(60))
        if byClient.count > limits.perClientPerMinute {
            throw APIError.tooManyRequests("too_many_logins", "too many login attempts from this address", retryAfter: byClient.retryAfterSeconds)
        }
        let byName = try await counter.hit("\(prefix):login:user:\(Self.digest(username.lowercased()))", window: .seconds(60))
        if byName.count > limits.perUsernamePerMinute {
            throw APIError.tooManyRequests("too_many_logins", "too many login attempts for this username", retryAfter: byName.retryAfterSeconds)
        }
    }

    /// Keys hold digests, so no username or address is stored in Redis as given.
    static func digest(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)).prefix(16))
    }
}

import Crypto
import Foundation
import Synchronization

/// Recently verified bearer tokens, so reads do not query PostgreSQL on every request. An entry
/// lives `lifetime`; this process drops them all whenever it changes a user or token, and other
/// instances see such a change within `lifetime`. Keys are SHA-256 digests, never tokens.
package final class IdentityCache: Sendable {
    package let lifetime: Duration
    let capacity: Int
    private let entries = Mutex<[Data: (identity: Identity, expires: ContinuousClock.Instant)]>([:])
    /// The time now: the clock's, or a test's.
    let now: @Sendable () -> ContinuousClock.Instant

    package init(lifetime: Duration = .seconds(5), capacity: Int = 10_000, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.now = now
    }

    /// The identity a token had when last verified, unless that was longer ago than `lifetime`.
    package func identity(for token: String) -> Identity? {
        let key = Self.key(token)
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.expires > now() else {
                entries[key] = nil
                return nil
            }
            return entry.identity
        }
    }

    package func store(_ identity: Identity, for token: String) {
        guard lifetime > .zero else { return }
        let key = Self.key(token)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (identity, now() + lifetime)
        }
    }

    /// Forgets every entry (after a user or token changed).
    package func invalidateAll() {
        entries.withLock { $0.removeAll() }
    }

    static func key(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}

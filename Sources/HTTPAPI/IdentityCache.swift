import Crypto
import Foundation
import Synchronization

/// Recently verified bearer tokens, so reads do not query PostgreSQL on every request. An entry
/// lives `lifetime`; this process drops them all whenever it changes a user or token, and other
/// instances see such a change within `lifetime`. Keys are SHA-256 digests, never tokens.
package final class IdentityCache: Sendable {
    /// Which way a token came: a dashboard session's token is good only in its cookie, so the two
    /// never share an entry.
    package enum Carrier: String, Sendable { case bearer, sessionCookie }

    package let lifetime: Duration
    let capacity: Int
    private let state = Mutex(State())
    /// The time now: the clock's, or a test's.
    let now: @Sendable () -> ContinuousClock.Instant

    private struct State {
        var entries: [Data: (identity: Identity, expires: ContinuousClock.Instant)] = [:]
        /// Counts `invalidateAll()`s: a lookup that began before one must not store what it read.
        var generation: UInt64 = 0
    }

    package init(lifetime: Duration = .seconds(5), capacity: Int = 10_000, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.now = now
    }

    /// The identity a token had when last verified, unless that was longer ago than `lifetime`.
    package func identity(for token: String, in carrier: Carrier = .bearer) -> Identity? {
        let key = Self.key(token, carrier)
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now() else {
                state.entries[key] = nil
                return nil
            }
            return entry.identity
        }
    }

    /// Marks the start of a lookup; `store(_:for:in:since:)` with it stores nothing if the cache
    /// was dropped meanwhile (the lookup may have read the user before the change).
    package func mark() -> UInt64 { state.withLock { $0.generation } }

    package func store(_ identity: Identity, for token: String, in carrier: Carrier = .bearer, since mark: UInt64? = nil) {
        guard lifetime > .zero else { return }
        let key = Self.key(token, carrier)
        state.withLock { state in
            if let mark, mark != state.generation { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = (identity, now() + lifetime)
        }
    }

    /// Forgets every entry (after a user or token changed), and whatever lookups under way would store.
    package func invalidateAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation &+= 1
        }
    }

    static func key(_ token: String, _ carrier: Carrier) -> Data {
        Data(SHA256.hash(data: Data((carrier.rawValue + " " + token).utf8)))
    }
}

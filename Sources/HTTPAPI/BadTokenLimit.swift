import Synchronization

/// Bounds the invalid bearer tokens one client network (`ClientNetwork`) may present a minute.
/// Each one that is not cached costs a PostgreSQL lookup, so past `perMinute` the network's
/// bearer requests are answered 429 `too_many_bad_tokens` without one until its minute ends.
/// Kept in this process, not in Redis: what it protects is this process's share of the database,
/// and counting must not itself cost a round trip. Behind a reverse proxy every client shares the
/// proxy's address; raise or turn off the limit there (`BAD_TOKEN_LIMIT_PER_MINUTE`).
package final class BadTokenLimit: Sendable {
    package let perMinute: Int
    /// Networks tracked at once; when full, ended windows are dropped first, then all of them.
    let capacity: Int
    /// The time now: the clock's, or a test's.
    let now: @Sendable () -> ContinuousClock.Instant
    private let windows = Mutex<[String: Window]>([:])
    static let window = Duration.seconds(60)

    private struct Window {
        var started: ContinuousClock.Instant
        var failures: Int
    }

    package init(perMinute: Int = 30, capacity: Int = 10_000, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.perMinute = max(1, perMinute)
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// The seconds until `client`'s network may present a token again; nil while it is under the limit.
    package func blockedFor(_ client: String) -> Int? {
        let key = ClientNetwork.key(client)
        let now = now()
        return windows.withLock { windows in
            guard let window = windows[key], window.failures >= perMinute else { return nil }
            let left = window.started + Self.window - now
            guard left > .zero else { return nil }
            return max(1, Int(left.components.seconds) + (left.components.attoseconds > 0 ? 1 : 0))
        }
    }

    /// Throws the 429 when `client`'s network is over the limit.
    package func admit(_ client: String) throws {
        if let seconds = blockedFor(client) {
            throw APIError.tooManyRequests(
                "too_many_bad_tokens", "too many invalid bearer tokens from this address", retryAfter: seconds)
        }
    }

    /// Counts one invalid token presented by `client`.
    package func recordFailure(_ client: String) {
        let key = ClientNetwork.key(client)
        let now = now()
        windows.withLock { windows in
            if var window = windows[key], now - window.started < Self.window {
                window.failures += 1
                windows[key] = window
                return
            }
            if windows[key] == nil, windows.count >= capacity {
                windows = windows.filter { now - $0.value.started < Self.window }
                if windows.count >= capacity { windows.removeAll(keepingCapacity: true) }
            }
            windows[key] = Window(started: now, failures: 1)
        }
    }
}

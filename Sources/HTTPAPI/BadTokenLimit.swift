import Synchronization

/// Bounds the bearer-token lookups that find nothing one client network (`ClientNetwork`) may
/// cause a minute. Each costs a PostgreSQL query, so past `perMinute` the network's tokens that
/// are not cached are answered 429 `too_many_bad_tokens` without one until its minute ends; tokens
/// it already proved (cached) still work. Kept in this process, not in Redis: what it protects is
/// this process's share of the database, and counting must not itself cost a round trip. Behind a
/// reverse proxy every client shares the proxy's address; raise or turn off the limit there
/// (`BAD_TOKEN_LIMIT_PER_MINUTE`).
package final class BadTokenLimit: Sendable {
    package let perMinute: Int
    /// Networks tracked at once. When full, ended windows are dropped, then networks still under
    /// the limit; networks held back are never dropped early (that would free them). A network that
    /// finds no room is not counted, and the table is swept at most once a second.
    let capacity: Int
    /// The time now: the clock's, or a test's.
    let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())
    static let window = Duration.seconds(60)

    private struct State {
        var windows: [String: Window] = [:]
        var lastSweep: ContinuousClock.Instant?
    }

    private struct Window {
        var started: ContinuousClock.Instant
        var failures: Int
    }

    package init(perMinute: Int = 30, capacity: Int = 10_000, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.perMinute = max(1, perMinute)
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// The seconds until `client`'s network may have its tokens looked up again; nil while it is
    /// under the limit.
    package func blockedFor(_ client: String) -> Int? {
        let key = ClientNetwork.key(client)
        let now = now()
        return state.withLock { state in
            guard let window = state.windows[key], window.failures >= perMinute else { return nil }
            let left = window.started + Self.window - now
            guard left > .zero else { return nil }
            return max(1, Int(left.components.seconds) + (left.components.attoseconds > 0 ? 1 : 0))
        }
    }

    /// Throws the 429 when `client`'s network is over the limit.
    package func admit(_ client: String) throws {
        if let seconds = blockedFor(client) {
            throw APIError.tooManyRequests("too_many_bad_tokens", "too many invalid bearer tokens from this address", retryAfter: seconds)
        }
    }

    /// Counts one lookup for `client` that found nothing.
    package func recordFailure(_ client: String) {
        let key = ClientNetwork.key(client)
        let now = now()
        state.withLock { state in
            if var window = state.windows[key], now - window.started < Self.window {
                window.failures += 1
                state.windows[key] = window
                return
            }
            if state.windows[key] == nil, state.windows.count >= capacity {
                guard sweep(&state, now: now) else { return }
            }
            state.windows[key] = Window(started: now, failures: 1)
        }
    }

    /// Makes room in a full table; false when there is none (every network tracked is held back,
    /// or the table was swept less than a second ago).
    private func sweep(_ state: inout State, now: ContinuousClock.Instant) -> Bool {
        if let last = state.lastSweep, now - last < .seconds(1) { return false }
        state.lastSweep = now
        state.windows = state.windows.filter { now - $0.value.started < Self.window && $0.value.failures >= perMinute }
        return state.windows.count < capacity
    }
}

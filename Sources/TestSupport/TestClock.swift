import Synchronization

/// A continuous-clock reading that a test moves by hand, for the types that take a `now:` closure
/// (caches, limits, shared reports).
package final class TestClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)

    package init() {}

    package var now: ContinuousClock.Instant { instant.withLock { $0 } }

    package func advance(_ duration: Duration) {
        instant.withLock { $0 += duration }
    }
}

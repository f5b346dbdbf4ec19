/// `GET /ready` needs no token, so a flood of probes must not turn into a flood of Redis and
/// PostgreSQL round trips that compete with jobs for pooled connections: the checks of `base` are
/// a `SharedResult`, one at a time, each report answering for `freshFor`. `base` must bound its
/// own checks (`DependencyReadiness` races each probe against the readiness timeout).
package final class SharedReadiness: ReadinessChecking {
    private let shared: SharedResult<ReadinessReport>

    package init(
        _ base: any ReadinessChecking, freshFor: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        shared = SharedResult(freshFor: freshFor, now: now) { await base.checkReadiness() }
    }

    package func checkReadiness() async -> ReadinessReport {
        await shared.value()
    }
}

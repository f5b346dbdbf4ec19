import Synchronization

/// `GET /ready` needs no token, so a flood of probes must not turn into a flood of Redis and
/// PostgreSQL round trips that compete with jobs for pooled connections. Callers that arrive while
/// a check runs wait for that check, and its report answers everyone for `freshFor` after it ends:
/// at most one check runs at a time, whatever the request rate. `base` must bound its own checks
/// (`DependencyReadiness` races each probe against the readiness timeout): a check that never
/// ended would hold every caller.
package final class SharedReadiness: ReadinessChecking {
    let base: any ReadinessChecking
    let freshFor: Duration
    /// The time now: the clock's, or a test's.
    let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex<State>(State())

    private struct State {
        var running: Task<ReadinessReport, Never>?
        var latest: (report: ReadinessReport, endedAt: ContinuousClock.Instant)?
    }

    package init(
        _ base: any ReadinessChecking, freshFor: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.base = base
        self.freshFor = freshFor
        self.now = now
    }

    package func checkReadiness() async -> ReadinessReport {
        switch state.withLock({ nextStep(&$0) }) {
        case .answer(let report): return report
        case .wait(let running): return await running.value
        }
    }

    private enum Step {
        case answer(ReadinessReport)
        case wait(Task<ReadinessReport, Never>)
    }

    private func nextStep(_ state: inout State) -> Step {
        if let latest = state.latest, now() - latest.endedAt < freshFor { return .answer(latest.report) }
        if let running = state.running { return .wait(running) }
        // Unstructured because it is shared: it belongs to no one caller, and a caller that goes
        // away must not cancel the others' answer. Each probe in it has its own timeout.
        let running = Task { [self] in
            let report = await base.checkReadiness()
            self.state.withLock { $0 = State(running: nil, latest: (report, now())) }
            return report
        }
        state.running = running
        return .wait(running)
    }
}

import Synchronization

/// A computation that anonymous callers may ask for at any rate (`/ready`'s dependency checks,
/// `/metrics`' queue and record figures) but that costs pooled Redis and PostgreSQL round trips:
/// callers that arrive while it runs wait for that run, and its result answers everyone for
/// `freshFor` after it ends, so at most one run happens at a time, whatever the request rate.
/// `compute` must bound its own waits: a run that never ended would hold every caller.
package final class SharedResult<Value: Sendable>: Sendable {
    let freshFor: Duration
    /// The time now: the clock's, or a test's.
    let now: @Sendable () -> ContinuousClock.Instant
    private let compute: @Sendable () async -> Value
    private let state = Mutex<State>(State())

    private struct State {
        var running: Task<Value, Never>?
        var latest: (value: Value, endedAt: ContinuousClock.Instant)?
        /// Bumped by `invalidate`: a run begun before it answers its own callers but is not kept.
        var generation = 0
    }

    package init(
        freshFor: Duration = .seconds(1), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        _ compute: @escaping @Sendable () async -> Value
    ) {
        self.freshFor = freshFor
        self.now = now
        self.compute = compute
    }

    package func value() async -> Value {
        switch state.withLock({ nextStep(&$0) }) {
        case .answer(let value): return value
        case .wait(let running): return await running.value
        }
    }

    /// Forgets the latest result (this process just changed what it says): the next caller
    /// computes anew. A run under way still answers those already waiting for it, and is not kept.
    package func invalidate() {
        state.withLock { state in
            state.generation += 1
            state.running = nil
            state.latest = nil
        }
    }

    private enum Step {
        case answer(Value)
        case wait(Task<Value, Never>)
    }

    private func nextStep(_ state: inout State) -> Step {
        if let latest = state.latest, now() - latest.endedAt < freshFor { return .answer(latest.value) }
        if let running = state.running { return .wait(running) }
        // Unstructured because it is shared: it belongs to no one caller, and a caller that goes
        // away must not cancel the others' answer.
        let generation = state.generation
        let running = Task { [self] in
            let value = await compute()
            self.state.withLock { state in
                guard state.generation == generation else { return }
                state.running = nil
                state.latest = (value, now())
            }
            return value
        }
        state.running = running
        return .wait(running)
    }
}

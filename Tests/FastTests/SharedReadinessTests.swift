import HTTPAPI
import Synchronization
import TestSupport
import Testing

/// `/ready` is anonymous: however many probes arrive, at most one check of the dependencies runs
/// at a time, and its report answers for `freshFor`.
@Suite struct SharedReadinessTests {
    /// Counts its checks; each waits until the test has opened the gate (once open, it stays so:
    /// a regression that ran a check per caller fails the count instead of hanging).
    final class GatedReadiness: ReadinessChecking {
        let checks = Atomic<Int>(0)
        let gate = Gate()

        func checkReadiness() async -> ReadinessReport {
            let number = checks.add(1, ordering: .relaxed).newValue
            await gate.passed()
            return ReadinessReport(checks: ["redis": .init(ok: true, latencyMs: 1, detail: "check \(number)")])
        }
    }

    @Test func aFloodOfProbesRunsOneCheckAndSharesItsReport() async throws {
        let base = GatedReadiness()
        let clock = TestClock()
        let shared = SharedReadiness(base, freshFor: .seconds(1), now: { clock.now })
        let reports = await withTaskGroup(of: ReadinessReport.self) { group in
            for _ in 0..<200 { group.addTask { await shared.checkReadiness() } }
            // The check ends only once it has started; callers that come while it runs wait for
            // it, those after it get its report. Either way there is one check.
            while base.checks.load(ordering: .relaxed) == 0 { await Task.yield() }
            await base.gate.open()
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(base.checks.load(ordering: .relaxed) == 1)
        #expect(reports.count == 200)
        #expect(Set(reports.map { $0.checks["redis"]?.detail }) == ["check 1"])

        // Within `freshFor` the report answers without a check; after it, a new check runs.
        clock.advance(.milliseconds(900))
        #expect(await shared.checkReadiness().checks["redis"]?.detail == "check 1")
        #expect(base.checks.load(ordering: .relaxed) == 1)
        clock.advance(.milliseconds(200))
        #expect(await shared.checkReadiness().checks["redis"]?.detail == "check 2")
        #expect(base.checks.load(ordering: .relaxed) == 2)
    }

    @Test func invalidatingDropsTheResultAndARunBegunBefore() async throws {
        let runs = Atomic<Int>(0)
        let gate = Gate()
        let clock = TestClock()
        let shared = SharedResult<Int>(freshFor: .seconds(60), now: { clock.now }) {
            let run = runs.add(1, ordering: .relaxed).newValue
            if run == 2 { await gate.passed() }
            return run
        }
        #expect(await shared.value() == 1)
        #expect(await shared.value() == 1)
        shared.invalidate()
        // Run 2 starts and waits; invalidating again while it runs: its answer goes to its own
        // callers only, and the next caller gets a run of its own.
        async let second = shared.value()
        while runs.load(ordering: .relaxed) < 2 { await Task.yield() }
        shared.invalidate()
        #expect(await shared.value() == 3)
        await gate.open()
        #expect(await second == 2)
        #expect(await shared.value() == 3)
    }
}

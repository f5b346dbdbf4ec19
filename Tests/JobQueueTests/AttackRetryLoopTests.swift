import ErrorCodes
import Foundation
@testable import JobQueue
import Logging
import RedisClient
import Synchronization
import TestSupport
import Testing

/// Retry loops under a failed start: a cancelled worker must stop (every wait ends at once after
/// cancellation, so a loop that carries on spins the CPU), and a failure repeated every second
/// must not write a log line every second.
@Suite struct AttackRetryLoopTests {
    @Test func cancellingTheTaskThatRunsAWorkerStopsIt() async throws {
        let fixture = try QueueFixture()
        let errors = Recorder<String>()
        let drained = DrainedSignal()
        let worker = Worker(
            queue: fixture.queue,
            options: drained.options(
                WorkerOptions(
                    drainDelay: .seconds(5),
                    onEvent: { event in
                        if case .error(let text) = event { errors.append(text) }
                    })), logger: queueLogger()
        ) { _ in .null }
        let finished = Mutex(false)
        let running = Task {
            try? await worker.run()
            finished.withLock { $0 = true }
        }
        // Once it waits on the queue's marker, cancel it as a failing service group would.
        #expect(try await drained.happened())
        #expect(try await fixture.workerIsBlockedOnTheMarker())
        running.cancel()
        let stopped = try await eventually(timeout: .seconds(5)) { finished.withLock { $0 } }
        if !stopped { worker.close() }
        #expect(stopped, "a cancelled worker must stop, not retry forever")
        #expect(errors.values.count <= 1, "\(errors.values.count) errors after cancellation")
        try await fixture.close()
    }

    @Test func aRepeatedFailureIsLoggedOncePerIntervalWithTheCountLeftOut() {
        let lines = Recorder<String>()
        let logger = Logger(label: "test.repeats") { _ in CapturingLogHandler { lines.append($0) } }
        let clock = ContinuousClock()
        let start = clock.now
        let elapsed = Mutex(Duration.zero)
        let log = RepeatingErrorLog(logger: logger, interval: .seconds(30), now: { start + elapsed.withLock { $0 } })
        let refused = RedisError(.connectionFailed, "cannot connect: Connection refused")
        for second in 0..<60 {
            elapsed.withLock { $0 = .seconds(second) }
            log.failed("fetching a job failed; retrying", error: refused)
        }
        #expect(lines.values.count == 2, "at 0 s and 30 s: \(lines.values)")
        #expect(lines.values.last?.contains("suppressed_repeats=29") == true)
        // Another failure shows at once; a success is said once and resets the count.
        log.failed("stalled check failed", error: refused)
        #expect(lines.values.count == 3)
        log.succeeded("the worker reaches Redis again")
        log.succeeded("the worker reaches Redis again")
        #expect(lines.values.count == 4 && lines.values[3].hasPrefix("notice"))
        log.failed("fetching a job failed; retrying", error: refused)
        #expect(lines.values.count == 5)
    }
}

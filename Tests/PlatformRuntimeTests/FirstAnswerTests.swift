@testable import PlatformRuntime
import Testing

/// `/ready`'s probes: a body that answers is its answer; one that hangs is a timeout, and the
/// wait ends although the body does not.
@Suite struct FirstAnswerTests {
    @Test func anAnswerInTimeIsTheAnswer() async throws {
        let outcome = await FirstAnswer.race(timeout: .seconds(30)) { "pong" }
        #expect(try outcome.get() == "pong")
    }

    @Test func aHangingBodyIsATimeoutAndIsCancelled() async throws {
        let (cancelled, report) = AsyncStream<Void>.makeStream()
        let outcome = await FirstAnswer.race(timeout: .milliseconds(50)) { () async throws -> String in
            // Ends only when cancelled; the race must answer before that and then cancel it.
            try await withTaskCancellationHandler {
                try await Task.sleep(for: .seconds(3600))
            } onCancel: {
                report.yield()
            }
            return "late"
        }
        #expect(throws: FirstAnswer.TimedOut.self) { try outcome.get() }
        for await _ in cancelled { break }
    }
}

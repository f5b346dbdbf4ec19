import BlockingIO
package import Testing

/// `@Test(.exclusive)`: the test runs while no other exclusive test runs, in any suite or module.
/// For the heavy tests (fuzzing, multi-hundred-megabyte streams, a killed process) and the ones
/// whose timing they would starve on a 2-vCPU machine (lock renewal).
package struct ExclusiveTrait: TestTrait, TestScoping {
    package func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await ExclusiveGate.shared.acquire()
        try await withCleanup {
            try await function()
        } cleanup: {
            await ExclusiveGate.shared.release()
        }
    }
}

extension Trait where Self == ExclusiveTrait {
    package static var exclusive: Self { ExclusiveTrait() }
}

/// One exclusive test at a time, first come first served.
actor ExclusiveGate {
    static let shared = ExclusiveGate()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}

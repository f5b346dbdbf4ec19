import Foundation
import Records
@testable import ServerJobs
import SSHClient
import Testing

@Suite struct UpdateRunnerTests {
    @Test func checkListsPackagesWithoutChangingAnything() async throws {
        let session = try await connectTestHost()
        let outcome = try await UpdateRunner().run(.check, on: session) { _ in }
        #expect(outcome.packageManager == "apt-get")
        #expect(outcome.upgraded.isEmpty)
        #expect(outcome.rebootRequired != nil)
        // Whatever the machine's state, the list matches what apt itself reports.
        let direct = ScanProbes.aptListUpgradable(try await session.run("apt list --upgradable").stdout)
        #expect(outcome.upgradable == direct)
        await session.close()
    }

    @Test func applyWithoutPasswordlessSudoFailsClearlyAndAtOnce() async throws {
        // The test user has no sudo rights: the harmless case that must never hang on a prompt.
        let session = try await connectTestHost()
        let clock = ContinuousClock()
        let started = clock.now
        let error = try await #require(throws: ServerJobError.self, "apply should need root") {
            _ = try await UpdateRunner().run(.apply, on: session) { _ in }
        }
        #expect(error.code == .sudoNeedsPassword)
        #expect(!error.isRetryable)
        #expect(clock.now - started < .seconds(60))
        await session.close()
    }
}

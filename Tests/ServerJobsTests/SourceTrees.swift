import BlockingIO
import Foundation
import ServerJobs
import SSHClient
import Synchronization
import TestSupport
import Testing

/// A directory on the test host with `megabytes` of random data, to back up. It is removed when
/// the test ends, passed or failed; the suite needs `.removesSourceTrees`, or this throws (a run
/// once left 15 GB of them in the test user's home).
func sourceTree(_ megabytes: Int = 1) async throws -> String {
    guard let made = SourceTreeRemoval.made else { throw TestEnvironment.Missing(name: ".removesSourceTrees on the suite that calls sourceTree()") }
    let session = try await connectTestHost()
    return try await withCleanup {
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let path = "\(home)/\(TestEnvironment.uniqueName("flow"))"
        made.paths.withLock { $0.append(path) }
        _ = try await session.run("mkdir -p \(ShellArgument.quote(path)) && head -c \(megabytes * 1_048_576) /dev/urandom > \(ShellArgument.quote(path + "/data"))")
        return path
    } cleanup: {
        await session.close()
    }
}

/// `@Suite(.removesSourceTrees)`: each test's `sourceTree()` directories are removed from the
/// test host when the test ends, whether it passed, failed or threw.
struct SourceTreeRemoval: SuiteTrait, TestTrait, TestScoping {
    /// The directories the running test made.
    final class Made: Sendable {
        let paths = Mutex<[String]>([])
    }

    @TaskLocal static var made: Made?

    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // The suite's own scope adds nothing: each test gets its own list.
        guard !test.isSuite else { return try await function() }
        let made = Made()
        try await withCleanup {
            try await Self.$made.withValue(made) { try await function() }
        } cleanup: {
            let paths = made.paths.withLock { $0 }
            guard !paths.isEmpty else { return }
            let session = try await connectTestHost()
            _ = try? await session.run("rm -rf -- " + paths.map { ShellArgument.quote($0) }.joined(separator: " "))
            await session.close()
        }
    }
}

extension Trait where Self == SourceTreeRemoval {
    static var removesSourceTrees: Self { SourceTreeRemoval() }
}

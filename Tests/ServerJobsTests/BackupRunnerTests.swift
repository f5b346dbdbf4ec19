import ErrorCodes
import Foundation
import JobQueue
import Records
import RedisClient
@testable import ServerJobs
import SSHClient
import TestSupport
import Synchronization
import Testing

@Suite struct BackupRunnerTests {
    static let awkwardNames = ["with space.txt", "quote's \"double\".txt", "ünïcødé ✓.txt", "$(touch MARKER)", "-leading-dash", "back\\slash", "star*.txt"]

    @Test func awkwardNamesRoundTripByteIdenticalAndNothingInjected() async throws {
        let session = try await connectTestHost()
        let tag = TestEnvironment.uniqueName("bk")
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let source = "\(home)/\(tag)-src"
        let marker = "/tmp/\(tag)-pwned"
        // Create the tree with quoted names (the marker file must never be created by a shell).
        _ = try await session.run("mkdir -p \(ShellArgument.quote(source))/sub")
        for name in Self.awkwardNames {
            let file = source + "/" + name.replacingOccurrences(of: "MARKER", with: marker)
            _ = try await session.run("head -c 3000 /dev/urandom > \(ShellArgument.quote(file))")
        }
        _ = try await session.run("echo nested > \(ShellArgument.quote(source + "/sub/nested.txt")); echo skip > \(ShellArgument.quote(source + "/sub/x.skip"))")

        let storage = try temporaryStorage()
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], exclusions: ["*.skip"], compression: .gzip)
        let outcome = try await BackupRunner(storage: BackupStorage(root: storage), logger: testLogger()).run(request, on: session) { _ in }
        #expect(outcome.warning == nil)
        #expect(outcome.storedPath.hasPrefix(request.serverId.uuidString.lowercased() + "/"))
        #expect(outcome.storedPath.hasSuffix("/\(request.id.uuidString.lowercased()).tar.gz"))
        #expect(outcome.localPath == (try BackupStorage(root: storage).canonicalRoot()) + "/" + outcome.storedPath)
        #expect(!FileManager.default.fileExists(atPath: BackupStorage(root: storage).partialPath(for: outcome.localPath)))
        let localSum = try await ChildProcess.run("/usr/bin/sha256sum", [outcome.localPath])
        #expect(localSum.hasPrefix(outcome.sha256))
        #expect(outcome.size == (try FileManager.default.attributesOfItem(atPath: outcome.localPath)[.size] as? Int64 ?? -1))
        #expect(await ArchiveVerifier.verify(path: outcome.localPath, sha256: outcome.sha256, compression: .gzip).verified)

        let target = "\(home)/\(tag)-restore"
        let used = try await RestoreRunner.extract(archive: outcome.localPath, sha256: outcome.sha256, compression: .gzip, target: target, on: session)
        #expect(used == target)
        let listing = "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum"
        let original = try await session.run("cd \(ShellArgument.quote(source)) && \(listing)").stdout
        let restored = try await session.run("cd \(ShellArgument.quote(target + source)) && \(listing)").stdout
        #expect(restored == original.split(separator: "\n").filter { !$0.hasSuffix("x.skip") }.joined(separator: "\n") + "\n")
        #expect(!restored.contains("x.skip"))
        #expect(try await session.run("test -e \(ShellArgument.quote(marker))").exitStatus == 1, "an injected command ran")
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(source)) \(ShellArgument.quote(target))")
        await session.close()
    }

    @Test func unreadableFileIsAWarningNotAFailure() async throws {
        let session = try await connectTestHost()
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let source = "\(home)/\(TestEnvironment.uniqueName("bkw"))"
        _ = try await session.run(
            "mkdir -p \(ShellArgument.quote(source)) && echo a > \(ShellArgument.quote(source + "/a")) && echo b > \(ShellArgument.quote(source + "/locked")) && chmod 000 \(ShellArgument.quote(source + "/locked"))"
        )
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: .gzip)
        let outcome = try await BackupRunner(storage: BackupStorage(root: try temporaryStorage()), logger: testLogger()).run(request, on: session) { _ in }
        #expect(outcome.warning?.contains("Permission denied") == true)
        _ = try await session.run("chmod 600 \(ShellArgument.quote(source + "/locked")); rm -rf -- \(ShellArgument.quote(source))")
        await session.close()
    }

    /// An attempt that lost its job by the rename leaves no archive and no partial (the synced
    /// partial is removed after the stream that wrote it has ended).
    @Test func aFailedAttemptLeavesNoFileBehind() async throws {
        let session = try await connectTestHost()
        let storage = try temporaryStorage()
        let runner = BackupRunner(storage: BackupStorage(root: storage), logger: testLogger())
        let fenced = BackupRequest(id: UUID(), serverId: UUID(), paths: ["/etc/hostname"], compression: .gzip)
        // The lock is still held when the stream starts, and lost by the time of the rename.
        let checks = Atomic(0)
        let lost = await #expect(throws: ServerJobError.self) {
            try await runner.run(
                fenced, on: session, attempt: "1",
                fence: { if checks.add(1, ordering: .relaxed).newValue > 1 { throw UnrecoverableError("lost the lock") } }
            ) { _ in }
        }
        #expect(lost?.code == .cancelled && checks.load(ordering: .relaxed) == 2)
        // A fence that cannot reach Redis is an unreachable dependency, not a storage failure.
        let unreachable = await #expect(throws: ServerJobError.self) {
            try await runner.run(fenced, on: session, attempt: "2", fence: { throw RedisError(.connectionLost, "reset") }) { _ in }
        }
        #expect(unreachable?.code == .unreachable && unreachable?.isRetryable == true)
        let left = FileManager.default.enumerator(atPath: storage)?.compactMap { $0 as? String }.filter { !$0.isEmpty } ?? []
        #expect(try left.allSatisfy { try FileManager.default.attributesOfItem(atPath: storage + "/" + $0)[.type] as? FileAttributeType == .typeDirectory }, "\(left)")
        await session.close()
    }

    /// A transfer past its limit (a server sending a byte now and then) stops, for good, and leaves nothing.
    @Test func aBackupPastItsTimeLimitStopsAndIsNotRetried() async throws {
        let session = try await connectTestHost()
        let storage = try temporaryStorage()
        let runner = BackupRunner(storage: BackupStorage(root: storage), logger: testLogger(), timeout: .milliseconds(300))
        let slow = BackupRequest(id: UUID(), serverId: UUID(), paths: ["/usr/share"], compression: .gzip)
        let stopped = await #expect(throws: ServerJobError.self) { try await runner.run(slow, on: session) { _ in } }
        #expect(stopped?.isRetryable == false && stopped?.message.contains("BACKUP_TIMEOUT_HOURS") == true, "\(stopped?.message ?? "")")
        let left = FileManager.default.enumerator(atPath: storage)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".partial") || $0.hasSuffix(".gz") } ?? []
        #expect(left.isEmpty, "\(left)")
        await session.close()
    }

    @Test func tarExitOneCompletesWithAWarning() throws {
        let warning = try BackupRunner.judge(SSHExecResult(exitStatus: 1, stderr: Array("tar: /x: file changed as we read it\n".utf8)))
        #expect(warning?.contains("file changed") == true)
        #expect(throws: ServerJobError.self) {
            try BackupRunner.judge(SSHExecResult(exitStatus: 2, stderr: Array("tar: /nope: Cannot stat\n".utf8)))
        }
    }

    @Test func pathsAreValidatedAndQuoted() throws {
        #expect(throws: ServerJobError.self) { try BackupRunner.tarCommand(paths: ["relative"], exclusions: [], compression: .gzip) }
        #expect(throws: ServerJobError.self) { try BackupRunner.tarCommand(paths: ["/a\nrm -rf /"], exclusions: [], compression: .gzip) }
        #expect(throws: ServerJobError.self) { try BackupRunner.tarCommand(paths: [], exclusions: [], compression: .gzip) }
        let command = try BackupRunner.tarCommand(paths: ["/srv/it's $(x)"], exclusions: ["*.log"], compression: .zstd)
        #expect(command == #"env -u TAR_OPTIONS tar --format=gnu --create --file=- --ignore-failed-read --zstd '--exclude=*.log' -- '/srv/it'\''s $(x)'"#)
        #expect(throws: ServerJobError.self) { try RestoreTarget.extractCommand(directory: "tmp", compression: .gzip) }
        #expect(throws: ServerJobError.self) { try RestoreTarget.prepareCommand(target: "tmp", allowRoot: false, label: "x") }
    }

    @Test(.exclusive) func oneGigabyteStreamsWithFlatMemory() async throws {
        let session = try await connectTestHost()
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let source = "\(home)/\(TestEnvironment.uniqueName("bkbig"))"
        _ = try await session.run("mkdir -p \(ShellArgument.quote(source)) && head -c 1073741824 /dev/zero > \(ShellArgument.quote(source + "/blob"))", timeout: .seconds(120))
        let before = TestEnvironment.residentBytes()
        let peak = Recorder()
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: .none)
        let storage = try temporaryStorage()
        let outcome = try await BackupRunner(storage: BackupStorage(root: storage), logger: testLogger()).run(request, on: session) { _ in
            peak.observe(TestEnvironment.residentBytes())
        }
        peak.observe(TestEnvironment.residentBytes())
        #expect(outcome.size > 1_073_741_824)
        let growth = peak.maximum - before
        #expect(growth < 32 * 1024 * 1024, "resident memory grew by \(growth / 1_048_576) MiB")
        try? FileManager.default.removeItem(atPath: storage)
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(source))")
        await session.close()
    }
}

/// The highest value seen, from any thread.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var highest = 0
    func observe(_ value: Int) { lock.withLock { highest = max(highest, value) } }
    var maximum: Int { lock.withLock { highest } }
}

/// The backup volume's free space is read again as an archive grows.
@Suite struct FreeSpaceWatchTests {
    @Test func anArchiveStopsBeforeTheVolumeFills() throws {
        let storage = BackupStorage(root: NSTemporaryDirectory())
        var roomy = FreeSpaceWatch(storage: storage, reserve: 1, interval: 10)  // a temporary directory has more than 11 bytes
        for _ in 0..<5 { try roomy.wrote(7) }
        var full = FreeSpaceWatch(storage: storage, reserve: .max, interval: 10)
        try full.wrote(9)  // not read yet
        let error = #expect(throws: ServerJobError.self) { try full.wrote(1) }
        #expect(error?.code == .storage && error?.isRetryable == false && error?.message.contains("stopped before the volume filled") == true)
    }
}

import Foundation
import JobQueue
import Records
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// Restore targets another local user (or a careless request) could abuse: a pre-created or
/// symlinked directory, a directory of someone else, spellings of `/`, names tar would unescape.
/// Against the sshd test host, as the unprivileged `mmtest`.
@Suite(.removesSourceTrees) struct AttackRestoreTargetTests {
    struct Archive {
        var path: String
        var sha256: String
    }

    /// A local gzip archive holding `restored.txt`.
    func makeArchive() async throws -> Archive {
        let source = try temporaryStorage()
        try Data("restored\n".utf8).write(to: URL(fileURLWithPath: source + "/restored.txt"))
        let path = try temporaryStorage() + "/archive.tar.gz"
        _ = try await ChildProcess.run("/usr/bin/env", ["tar", "--create", "--gzip", "--file=" + path, "-C", source, "restored.txt"])
        return Archive(path: path, sha256: try ArchiveVerifier.sha256(of: path))
    }

    func restore(_ archive: Archive, into target: String?, allowRoot: Bool = false, on session: SSHSession) async throws(ServerJobError) -> String {
        try await RestoreRunner.extract(archive: archive.path, sha256: archive.sha256, compression: .gzip, target: target, allowRoot: allowRoot, on: session)
    }

    /// The refusal's message; records an issue when the restore went ahead.
    func refusal(_ archive: Archive, into target: String, allowRoot: Bool = false, on session: SSHSession) async -> String {
        do {
            let used = try await restore(archive, into: target, allowRoot: allowRoot, on: session)
            Issue.record("\(target) was accepted and restored into \(used)")
            return ""
        } catch {
            #expect(error.code == .invalidRequest && !error.isRetryable, "\(target): \(error.message)")
            return error.message
        }
    }

    func home(_ session: SSHSession) async throws -> String {
        try await session.run("cd && pwd -P").stdout.trimmingCharacters(in: .newlines)
    }

    @Test func withoutATargetEveryRestoreGetsAFreshPrivateDirectoryOfTheUser() async throws {
        let session = try await connectTestHost()
        let archive = try await makeArchive()
        let home = try await home(session)
        let user = try TestEnvironment.require("MM_TEST_SSH_USER")
        let first = try await restore(archive, into: nil, on: session)
        let second = try await restore(archive, into: nil, on: session)
        #expect(first != second)
        for directory in [first, second] {
            #expect(directory.hasPrefix(home + "/.medicineman-restore/"), "\(directory)")
            #expect(try await session.run("stat -c '%a %U' -- \(ShellArgument.quote(directory))").stdout == "700 \(user)\n")
            #expect(try await session.run("cat -- \(ShellArgument.quote(directory + "/restored.txt"))").stdout == "restored\n")
        }
        #expect(try await session.run("stat -c '%a %U' -- \"$HOME/.medicineman-restore\"").stdout == "700 \(user)\n")
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(first)) \(ShellArgument.quote(second))")
        await session.close()
    }

    /// Moves the user's `~/.medicineman-restore` aside, which every restore of other suites uses:
    /// scripts/test.sh runs it in the one-at-a-time tier.
    @Test func aSymlinkPlantedAsTheBaseDirectoryIsRefused() async throws {
        let session = try await connectTestHost()
        let archive = try await makeArchive()
        let tag = TestEnvironment.uniqueName("rbase")
        let elsewhere = "/tmp/\(tag)"
        _ = try await session.run(
            "mkdir -p -m 700 \"$HOME/.medicineman-restore\" && mkdir \(ShellArgument.quote(elsewhere)) && mv \"$HOME/.medicineman-restore\" \"$HOME/\(tag)-saved\" && ln -s \(ShellArgument.quote(elsewhere)) \"$HOME/.medicineman-restore\""
        )
        do {
            let used = try await restore(archive, into: nil, on: session)
            Issue.record("restored through a planted symlink into \(used)")
        } catch {
            #expect(error.message.contains("symlink"), "\(error.message)")
        }
        #expect(try await session.run("ls -A -- \(ShellArgument.quote(elsewhere))").stdout.isEmpty)
        _ = try await session.run("rm -f \"$HOME/.medicineman-restore\" && mv \"$HOME/\(tag)-saved\" \"$HOME/.medicineman-restore\" && rmdir \(ShellArgument.quote(elsewhere))")
        await session.close()
    }

    @Test func theRestoreJobNamesTheFreshDirectoryItUsed() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("restore-default")
            let source = try await sourceTree()
            let (record, _) = try await fixture.launcher.startBackup(serverId: server.id, paths: [source], exclusions: [], compression: .gzip)
            let queue = try #require(fixture.dispatcher.queue(.backup))
            var jobId = ""
            try await fixture.withWorkers { () async throws in
                #expect(try await waitFor { try await fixture.backups.find(id: record.id)?.status == .completed })
                jobId = try await fixture.dispatcher.enqueue(
                    .restore, recordId: record.id, jobId: "restore-" + UUID().uuidString.lowercased(),
                    payload: ServerJobPayload(recordId: record.id.uuidString.lowercased()))
                #expect(try await waitFor { try await queue.getJobState(jobId) == .completed })
            }
            let target = try #require(try await queue.getJob(jobId)?.returnValue?["target"]?.stringValue)
            let session = try await connectTestHost()
            #expect(target.hasPrefix(try await home(session) + "/.medicineman-restore/\(record.id.uuidString.lowercased())."), "\(target)")
            #expect(try await session.run("test -f \(ShellArgument.quote(target + source + "/data"))").exitStatus == 0)
            _ = try await session.run("rm -rf -- \(ShellArgument.quote(target)) \(ShellArgument.quote(source))")
            await session.close()
        }
    }

    @Test func aPlantedSymlinkTargetIsRefused() async throws {
        let session = try await connectTestHost()
        let archive = try await makeArchive()
        let tag = TestEnvironment.uniqueName("rlink")
        let victim = try await home(session) + "/\(tag)-victim"
        let link = "/tmp/\(tag)-link"
        _ = try await session.run("mkdir \(ShellArgument.quote(victim)) && ln -s \(ShellArgument.quote(victim)) \(ShellArgument.quote(link))")
        for target in [link, link + "/", link + "/.", link + "//./"] {
            let message = await refusal(archive, into: target, on: session)
            #expect(message.contains("symlink"), "\(target): \(message)")
        }
        #expect(try await session.run("ls -A -- \(ShellArgument.quote(victim))").stdout.isEmpty, "nothing reached the symlink's target")
        _ = try await session.run("rm -f -- \(ShellArgument.quote(link)); rmdir -- \(ShellArgument.quote(victim))")
        await session.close()
    }

    @Test func aDirectoryOfAnotherUserIsRefused() async throws {
        let session = try await connectTestHost()
        let archive = try await makeArchive()
        // Pre-created by another local user (this test process: the sshd test host is this machine),
        // even world-writable.
        let precreated = "/tmp/" + TestEnvironment.uniqueName("rforeign")
        try FileManager.default.createDirectory(atPath: precreated, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: precreated)
        for target in ["/etc", "/etc/", "/var/tmp", "/usr/share", precreated] {
            let message = await refusal(archive, into: target, on: session)
            #expect(message.contains("another user"), "\(target): \(message)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: precreated).isEmpty)
        try FileManager.default.removeItem(atPath: precreated)
        await session.close()
    }

    @Test func everySpellingOfRootIsRefusedWithoutAllowRoot() async throws {
        let session = try await connectTestHost()
        let archive = try await makeArchive()
        for target in ["/proc/self/root", "/proc/self/root/", "/tmp/..", "/tmp/../", "/./", "//", "/.", "/tmp/../proc/self/root/."] {
            let message = await refusal(archive, into: target, on: session)
            #expect(message.contains("is / once resolved"), "\(target): \(message)")
        }
        await session.close()
    }

    @Test func aTargetWithABackslashAndASpaceRestoresIntoExactlyThatDirectory() async throws {
        let session = try await connectTestHost()
        let archive = try await makeArchive()
        let tag = TestEnvironment.uniqueName("rname")
        let home = try await home(session)
        // GNU tar would unescape `\n` and `\\` in a --directory argument; `$(…)` and `'` must stay text.
        let target = home + "/\(tag) it's a\\nb c\\\\d $(touch \(tag)-pwned)"
        let used = try await restore(archive, into: target, on: session)
        #expect(used == target)
        #expect(try await session.run("cat -- \(ShellArgument.quote(target + "/restored.txt"))").stdout == "restored\n")
        let listing = try await session.run("cd && ls -d -- \(tag)*").stdout
        #expect(listing == "\(tag) it's a\\nb c\\\\d $(touch \(tag)-pwned)\n", "only the target exists: \(listing)")
        #expect(try await session.run("test -e \(ShellArgument.quote(home + "/\(tag)-pwned"))").exitStatus == 1, "an injected command ran")
        // Restoring again into the (now existing, own) directory works too.
        #expect(try await restore(archive, into: target + "/", on: session) == target)
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(target))")
        await session.close()
    }
}

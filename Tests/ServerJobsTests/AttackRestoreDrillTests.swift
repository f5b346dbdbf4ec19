import ArchiveFormat
import Crypto
import Foundation
import JobQueue
import Records
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// What a hostile backup or a wrong path could make a drill do: names that look like the
/// listing's own markers or hold line breaks, and a cleanup pointed at something that is not
/// the drill's own scratch directory. Against the sshd test host, as the unprivileged `mmtest`.
@Suite(.serialized) struct AttackRestoreDrillTests {
    static func remote(_ command: String) async throws -> SSHCommandOutput { try await BackupChainTests.remote(command) }

    @Test func theCleanupRemovesOnlyADrillDirectoryDirectlyInTheUsersRestoreDirectory() async throws {
        let session = try await connectTestHost()
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let victim = home + "/" + TestEnvironment.uniqueName("drill-victim")
        let base = home + "/.medicineman-restore"
        let link = base + "/drill-" + TestEnvironment.uniqueName("link")
        let nested = base + "/drill-" + TestEnvironment.uniqueName("outer")
        _ = try await session.run(
            """
            mkdir -p \(ShellArgument.quote(victim)) \(ShellArgument.quote(base)) \(ShellArgument.quote(nested + "/drill-inner")) \
            && echo keep > \(ShellArgument.quote(victim + "/keep")) && ln -s \(ShellArgument.quote(victim)) \(ShellArgument.quote(link))
            """)
        for path in [victim, link, nested + "/drill-inner", base, home + "/drill-x"] {
            // Every path is tried, whichever fails.
            let error = await #expect(throws: ServerJobError.self, "\(path) was accepted for removal") {
                try await RestoreDrillRunner.remove(path, on: session)
            }
            #expect(error?.code == .remoteCommand, "\(path): \(error?.message ?? "accepted")")
        }
        let left = try await session.run("cat \(ShellArgument.quote(victim + "/keep")); test -d \(ShellArgument.quote(nested + "/drill-inner")) && echo nested")
        #expect(left.stdout == "keep\nnested\n", "nothing was removed: \(left.stdout)")
        _ = try await session.run("rm -rf \(ShellArgument.quote(victim)) \(ShellArgument.quote(nested)); rm -f \(ShellArgument.quote(link))")
        await session.close()
    }

    /// Stores a local tar archive as a completed, verified backup of `server` (after `base`).
    static func store(_ tar: String, _ fixture: FlowFixture, _ server: Server, after base: Backup?) async throws -> Backup {
        let record = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/src"], compression: .none)
        let storage = BackupStorage(root: fixture.storage)
        let location = try storage.location(for: BackupRequest(record))
        try FileManager.default.createDirectory(atPath: (location.absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tar, toPath: location.absolute)
        let size = try FileManager.default.attributesOfItem(atPath: location.absolute)[.size] as? NSNumber
        let shape = ArchiveShape(type: base == nil ? .full : .incremental, base: base?.id, chainPosition: base.map { $0.chainPosition + 1 } ?? 0)
        let done = try await fixture.backups.markCompleted(
            id: record.id, filePath: location.relative, size: size?.int64Value ?? 0,
            sha256: try ArchiveVerifier.sha256(of: location.absolute), shape: shape)
        #expect(await ArchiveVerifier.verify(done, in: storage).verified)
        return done
    }

    @Test func aCraftedIncrementalThatWritesThroughAnEarlierSymlinkIsRefused() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("drill-crafted")
            let home = try await Self.remote("printf %s \"$HOME\"").stdout
            let victim = home + "/" + TestEnvironment.uniqueName("drill-victim")
            _ = try await Self.remote("mkdir -p \(ShellArgument.quote(victim))")
            // A full backup with src/x -> the victim directory, then an incremental holding
            // src/x/planted without a directory at src/x (made with Python's tarfile).
            let work = try temporaryStorage()
            let script = """
                import sys, tarfile, io
                work, victim = sys.argv[1], sys.argv[2]
                def add(t, name, kind, data=b"", link=""):
                    info = tarfile.TarInfo(name); info.type = kind; info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
                    info.linkname = link; info.size = len(data); t.addfile(info, io.BytesIO(data) if data else None)
                with tarfile.open(work + "/full.tar", "w", format=tarfile.GNU_FORMAT) as t:
                    add(t, "src", tarfile.DIRTYPE); add(t, "src/x", tarfile.SYMTYPE, link=victim)
                with tarfile.open(work + "/crafted.tar", "w", format=tarfile.GNU_FORMAT) as t:
                    add(t, "src", tarfile.DIRTYPE); add(t, "src/x/planted", tarfile.REGTYPE, b"owned")
                """
            _ = try await ChildProcess.run("/usr/bin/python3", ["-c", script, work, victim])
            let full = try await Self.store(work + "/full.tar", fixture, server, after: nil)
            let crafted = try await Self.store(work + "/crafted.tar", fixture, server, after: full)

            let drill = try await RestoreDrillTests.drill(fixture, crafted)
            #expect(drill.status == .failed && drill.error?.contains("through the symlink src/x") == true, "\(drill.error ?? "")")
            // The restore job refuses the chain too.
            let jobId = try await fixture.dispatcher.enqueue(
                .restore, recordId: crafted.id, jobId: "restore-" + UUID().uuidString.lowercased(),
                payload: ServerJobPayload(recordId: crafted.id.uuidString.lowercased()))
            try await fixture.withWorkers { () async throws in
                #expect(try await waitFor(timeout: .seconds(60)) { try await fixture.dispatcher.queue(.backup)?.getJobState(jobId) == .failed })
            }
            let failed = try await fixture.dispatcher.queue(.backup)?.getJob(jobId)
            #expect(failed?.failedReason?.contains("through the symlink") == true, "\(failed?.failedReason ?? "")")
            #expect(try await Self.remote("ls -A \(ShellArgument.quote(victim))").stdout.isEmpty, "nothing was planted")
            _ = try await Self.remote("rm -rf \(ShellArgument.quote(victim))")
        }
    }

    @Test func namesLikeTheListingsMarkersOrWithLineBreaksAreComparedAsNames() async throws {
        let session = try await connectTestHost()
        let prepared = try await RestoreTarget.prepare(target: nil, allowRoot: false, label: "drill-" + UUID().uuidString.lowercased(), on: session)
        let names = ["#content", "a\nb", " lead", "x\ty", "f\\dir"]
        var script = "cd \(ShellArgument.quote(prepared)) && mkdir top"
        for name in names { script += " && printf %s \(ShellArgument.quote(name)) > \(ShellArgument.quote("top/" + name))" }
        script += " && ln -s '#content' top/link && chmod 644 top/* && chmod 755 top"
        _ = try await session.run(script)
        let mtimes = try await session.run("cd \(ShellArgument.quote(prepared + "/top")) && stat -c %Y -- " + names.map(ShellArgument.quote).joined(separator: " ")).stdout
            .split(separator: "\n").compactMap { Int64($0) }
        var entries = [
            TarEntry(path: "top", kind: .directory, mode: 0o755, size: 0, mtime: 0),
            TarEntry(path: "top/link", kind: .symlink, mode: 0o777, size: 0, mtime: 0, linkTarget: "#content"),
        ]
        for (index, name) in names.enumerated() {
            let sha = SHA256.hash(data: Array(name.utf8)).map { String(format: "%02x", $0) }.joined()
            entries.append(TarEntry(path: "top/" + name, kind: .file, mode: 0o644, size: Int64(name.utf8.count), mtime: mtimes[index], sha256: sha))
        }
        let tree = BackupTree(chain: [ArchiveManifest(entries: entries)])
        let check = try await RestoreDrillRunner.check(prepared, against: tree, on: session)
        #expect(check.passed && check.matched == names.count + 2 && check.hashed == names.count, "\(check.differences)")

        // One name changed on the server: a difference, not a parse error.
        _ = try await session.run("printf tampered > \(ShellArgument.quote(prepared + "/top/#content"))")
        let tampered = try await RestoreDrillRunner.check(prepared, against: tree, on: session)
        #expect(!tampered.passed && tampered.changed == 1 && tampered.differences.first?.path == "top/#content")
        try await RestoreDrillRunner.remove(prepared, on: session)
        #expect(try await session.run("test -e \(ShellArgument.quote(prepared)) && echo left; true").stdout.isEmpty)
        await session.close()
    }
}

/// What a chain's file lists cannot vouch for is refused before anything unpacks, with a reason
/// an operator can act on.
@Suite struct ChainCheckTests {
    static func backups(_ count: Int) -> [Backup] {
        (0..<count).map { _ in Backup(serverId: UUID(), kind: .scheduled, status: .completed, paths: ["/srv"]) }
    }

    static let directory = TarEntry(path: "srv", kind: .directory, mode: 0o755, size: 0, mtime: 0, children: ["a"])

    @Test func aChainWhoseFileListPredatesRenameRecordsMustBeVerifiedAgain() async throws {
        let old = ArchiveManifest(entries: [Self.directory], recordsRenames: false)
        let current = ArchiveManifest(entries: [Self.directory])
        let chain = Self.backups(2)
        let error = await #expect(throws: ServerJobError.self) { try await ServerJobProcessor.refuseSymlinkTraversal(in: [current, old], of: chain) }
        #expect(error?.message.contains("verify it again") == true && error?.message.contains(chain[1].id.lowercasedString) == true)
        // One backup alone is unpacked without --listed-incremental: nothing to replay.
        try await ServerJobProcessor.refuseSymlinkTraversal(in: [old], of: Self.backups(1))
        try await ServerJobProcessor.refuseSymlinkTraversal(in: [current, current], of: chain)
    }

    @Test func aRenameRecordOutsideTheDirectoryIsNamed() async throws {
        var crafted = Self.directory
        crafted.renames = ["X/home/victim"]
        let error = await #expect(throws: ServerJobError.self) {
            try await ServerJobProcessor.refuseSymlinkTraversal(in: [ArchiveManifest(entries: [Self.directory]), ArchiveManifest(entries: [crafted])], of: Self.backups(2))
        }
        #expect(error?.message.contains("/home/victim, which tar would resolve outside") == true, "\(error?.message ?? "")")
    }
}

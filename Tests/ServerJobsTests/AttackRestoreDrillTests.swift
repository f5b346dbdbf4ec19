import ArchiveFormat
import Crypto
import Foundation
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
        _ = try await session.run("""
            mkdir -p \(ShellArgument.quote(victim)) \(ShellArgument.quote(base)) \(ShellArgument.quote(nested + "/drill-inner")) \
            && echo keep > \(ShellArgument.quote(victim + "/keep")) && ln -s \(ShellArgument.quote(victim)) \(ShellArgument.quote(link))
            """)
        for path in [victim, link, nested + "/drill-inner", base, home + "/drill-x"] {
            do {
                try await RestoreDrillRunner.remove(path, on: session)
                Issue.record("\(path) was accepted for removal")
            } catch {
                #expect(error.code == .remoteCommand, "\(path): \(error.message)")
            }
        }
        let left = try await session.run("cat \(ShellArgument.quote(victim + "/keep")); test -d \(ShellArgument.quote(nested + "/drill-inner")) && echo nested")
        #expect(left.stdout == "keep\nnested\n", "nothing was removed: \(left.stdout)")
        _ = try await session.run("rm -rf \(ShellArgument.quote(victim)) \(ShellArgument.quote(nested)); rm -f \(ShellArgument.quote(link))")
        await session.close()
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
        var entries = [TarEntry(path: "top", kind: .directory, mode: 0o755, size: 0, mtime: 0),
                       TarEntry(path: "top/link", kind: .symlink, mode: 0o777, size: 0, mtime: 0, linkTarget: "#content")]
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

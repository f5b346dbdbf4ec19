import ArchiveFormat
import Crypto
import Foundation
import JSONSupport
import PostgresClient
import Records
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// Encryption at rest and incremental chains, through the workers, against the sshd test host.
@Suite(.serialized, .removesSourceTrees) struct BackupChainTests {
    /// Runs a shell command on the test host; its output.
    static func remote(_ command: String) async throws -> SSHCommandOutput {
        let session = try await connectTestHost()
        defer { Task { await session.close() } }
        return try await session.run(command, timeout: .seconds(120))
    }

    static func backUp(_ fixture: FlowFixture, _ server: Server, _ source: String, type: BackupType, encrypt: Bool = false) async throws -> Backup {
        let (record, _) = try await fixture.launcher.startBackup(serverId: server.id, paths: [source], exclusions: [], compression: .gzip, type: type)
        try await fixture.withWorkers(encrypt: encrypt) { () async throws in
            let done = try await waitFor(timeout: .seconds(60)) {
                let row = try await fixture.backups.find(id: record.id)
                return row?.verification == .verified || row?.verification == .failed || row?.status == .failed
            }
            #expect(done)
        }
        return try #require(try await fixture.backups.find(id: record.id))
    }

    /// Restores `backup` (its chain) into a fresh directory on the host; that directory.
    static func restore(_ fixture: FlowFixture, _ backup: Backup) async throws -> String {
        let chain = try await fixture.backups.chain(endingAt: backup.id)
        var keys: [UUID: SymmetricKeyBox] = [:]
        for link in chain where link.isEncrypted {
            keys[link.id] = SymmetricKeyBox(try #require(try await fixture.archiveKeys().dataKey(for: link, in: fixture.backups)))
        }
        let session = try await connectTestHost()
        let target = try await RestoreRunner(storage: BackupStorage(root: fixture.storage))
            .run(chain, dataKeys: keys.mapValues(\.key), target: nil, on: session)
        await session.close()
        return target
    }

    /// `diff -r` of the source and its copy under the restore directory (tar drops the leading `/`).
    static func sameTree(_ source: String, restoredUnder target: String) async throws -> String {
        let copy = target + source
        let output = try await remote("diff -r \(ShellArgument.quote(source)) \(ShellArgument.quote(copy)) 2>&1; echo \"status=$?\"")
        return output.stdout
    }

    @Test func encryptedArchiveIsUnreadableWithTarAndRestoresByteIdentical() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("sealed")
            let source = try await sourceTree()
            _ = try await Self.remote("printf 'the secret plan' > \(ShellArgument.quote(source + "/plan.txt"))")
            let backup = try await Self.backUp(fixture, server, source, type: .full, encrypt: true)
            #expect(backup.verification == .verified, "\(backup.warning ?? "")")
            #expect(backup.isEncrypted && backup.encryptionKeyId == fixture.vault.currentKey.id)
            let archive = try BackupStorage(root: fixture.storage).archivePath(of: backup)
            let listing = try await ChildProcess.run("/bin/sh", ["-c", "tar -tzf \(ShellArgument.quote(archive)) >/dev/null 2>&1; echo $?"])
            #expect(listing.trimmingCharacters(in: .whitespacesAndNewlines) != "0", "tar must not read a sealed archive")
            let stored = try Data(contentsOf: URL(fileURLWithPath: archive))
            #expect(stored.prefix(6) == Data("MMARCH".utf8))
            let dataKey = try await fixture.archiveKeys().dataKey(for: backup, in: fixture.backups)
            await #expect(throws: ServerJobError.self) { _ = try await BackupStorage(root: fixture.storage).manifest(of: backup, dataKey: nil) }
            let manifest = try #require(try await BackupStorage(root: fixture.storage).manifest(of: backup, dataKey: dataKey))
            #expect(manifest.entries.contains { $0.path.hasSuffix("plan.txt") && $0.size == 15 })
            let target = try await Self.restore(fixture, backup)
            let same = try await Self.sameTree(source, restoredUnder: target)
            #expect(same == "status=0\n", "\(same)")
            _ = try await Self.remote("rm -rf \(ShellArgument.quote(source)) \(ShellArgument.quote(target))")
        }
    }

    @Test func chainOfFullAndThreeIncrementalsRestoresExactlyTheFinalTree() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("chain")
            let source = try await sourceTree()
            let quoted = ShellArgument.quote(source)
            _ = try await Self.remote("cd \(quoted) && mkdir -p keep gone && echo one > keep/a && echo two > gone/b && echo three > changed")
            let full = try await Self.backUp(fixture, server, source, type: .incremental, encrypt: true)
            #expect(full.backupType == .full && full.chainPosition == 0, "no earlier backup: the first is full")
            let steps = [
                "echo added > keep/new",  // a file added
                "sleep 1; echo changed-now > changed",  // a file changed (new mtime)
                "rm -rf gone && rm keep/a && mkdir fresh && echo x > fresh/y",  // files and a directory deleted
            ]
            var previous = full
            var chain = [full]
            for step in steps {
                _ = try await Self.remote("cd \(quoted) && \(step)")
                let next = try await Self.backUp(fixture, server, source, type: .incremental, encrypt: chain.count % 2 == 0)
                #expect(next.verification == .verified, "\(next.warning ?? "")")
                #expect(next.backupType == .incremental && next.baseBackupId == previous.id && next.chainPosition == previous.chainPosition + 1)
                #expect((next.size ?? 0) < (full.size ?? 0) / 4, "an incremental holds the changes only")
                previous = next
                chain.append(next)
            }
            let target = try await Self.restore(fixture, previous)
            #expect(try await Self.sameTree(source, restoredUnder: target) == "status=0\n")
            _ = try await Self.remote("rm -rf \(ShellArgument.quote(target))")

            // Retention and deletion never take a backup that a kept one depends on.
            await #expect(throws: RecordError.self) { _ = try await fixture.backups.delete(id: full.id) }
            #expect(try await fixture.backups.find(id: full.id) != nil)
            // Deleting from the newest down is allowed.
            for link in chain.reversed() { #expect(try await fixture.backups.delete(id: link.id)) }
            _ = try await Self.remote("rm -rf \(quoted)")
        }
    }

    @Test func schedulesAskForIncrementalsAndAFullOneEveryNDays() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("scheduled-chain")
            let source = try await sourceTree()
            let schedule = try await fixture.schedules.create(
                ScheduleDefinition(
                    serverId: server.id, cron: "@daily", paths: [source],
                    backupType: .incremental, fullEveryDays: 7), nextRunAt: nil)
            #expect(schedule.backupType == .incremental && schedule.fullEveryDays == 7)
            let (record, _) = try await fixture.backups.createScheduled(id: UUID(), schedule: schedule, dueAt: Date(), metadata: [:])
            #expect(record.requestedType == .incremental && record.fullEveryDays == 7)
            let full = try await Self.backUp(fixture, server, source, type: .full)
            let planner = BackupPlanner(backups: fixture.backups)
            let soon = try await planner.plan(record, requested: .incremental, fullEveryDays: 7)
            #expect(soon.type == .incremental && soon.base == full.id && soon.chainPosition == 1 && !soon.tarSnapshot.isEmpty)
            let later = try await planner.plan(record, requested: .incremental, fullEveryDays: 7, now: Date().addingTimeInterval(8 * 86_400))
            #expect(later.type == .full && later.fullBecause?.contains("every 7 day") == true)
            _ = try await Self.remote("rm -rf \(ShellArgument.quote(source))")
        }
    }

    @Test func keyRotationReSealsDataKeysWithoutRewritingArchives() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("rotated")
            let source = try await sourceTree()
            let backup = try await Self.backUp(fixture, server, source, type: .full, encrypt: true)
            let archive = try BackupStorage(root: fixture.storage).archivePath(of: backup)
            let before = try ArchiveVerifier.sha256(of: archive)
            let newKey = try EncryptionKey(hex: String(repeating: "6b", count: 32))
            #expect(try await CredentialRotation(database: fixture.database, vault: fixture.vault).rotate(to: newKey) >= 2)
            let rotated = try #require(try await fixture.backups.find(id: backup.id))
            #expect(rotated.encryptionKeyId == newKey.id)
            #expect(try ArchiveVerifier.sha256(of: archive) == before, "the archive itself is not rewritten")
            let keys = ArchiveKeys(vault: CredentialVault(current: newKey), sealNewArchives: false, settings: nil)
            let check = await ArchiveVerifier.verify(rotated, in: BackupStorage(root: fixture.storage), dataKey: try await keys.dataKey(for: rotated, in: fixture.backups))
            #expect(check.verified, "\(check.reason ?? "")")
            await #expect(throws: RecordError.self) { _ = try await fixture.archiveKeys().dataKey(for: rotated, in: fixture.backups) }
            _ = try await Self.remote("rm -rf \(ShellArgument.quote(source))")
        }
    }

    @Test func aBrokenChainMakesTheNextBackupFull() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("broken")
            let source = try await sourceTree()
            let full = try await Self.backUp(fixture, server, source, type: .full)
            try await fixture.backups.setVerification(id: full.id, .failed, error: "archive damaged (test)")
            let next = try await Self.backUp(fixture, server, source, type: .incremental)
            #expect(next.backupType == .full && next.baseBackupId == nil)
            #expect(next.warning?.contains("full backup instead of incremental") == true)
            _ = try await Self.remote("rm -rf \(ShellArgument.quote(source))")
        }
    }
}

/// Someone with write access to the storage and the database, but not the key.
@Suite(.serialized, .removesSourceTrees) struct AttackSealedBackupTests {
    @Test(arguments: ["flip", "drop", "truncate"])
    func tamperedSealedArchiveFailsVerificationAndRestore(kind: String) async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("tamper-\(kind)")
            let source = try await sourceTree(3)
            let backup = try await BackupChainTests.backUp(fixture, server, source, type: .full, encrypt: true)
            #expect(backup.verification == .verified)
            let storage = BackupStorage(root: fixture.storage)
            let path = try storage.archivePath(of: backup)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let chunk = SealedArchiveHeader.defaultChunkSize + SealedArchiveHeader.tagSize
            switch kind {
            case "flip": bytes[bytes.count / 2] ^= 0x01
            case "drop": bytes.removeSubrange(SealedArchiveHeader.size + chunk..<SealedArchiveHeader.size + 2 * chunk)
            default: bytes = bytes.prefix(SealedArchiveHeader.size + 2 * chunk)
            }
            try bytes.write(to: URL(fileURLWithPath: path))
            // The attacker also rewrites the row's hash, so only the seal can notice.
            let forged = try ArchiveVerifier.sha256(of: path)
            _ = try await fixture.database.query("UPDATE backups SET sha256 = $2 WHERE id = $1", [backup.id, forged])
            let row = try #require(try await fixture.backups.find(id: backup.id))
            let key = try await fixture.archiveKeys().dataKey(for: row, in: fixture.backups)
            let check = await ArchiveVerifier.verify(row, in: storage, dataKey: key)
            #expect(!check.verified)
            #expect(check.reason?.contains("does not read back") == true, "\(check.reason ?? "")")
            let session = try await connectTestHost()
            await #expect(throws: ServerJobError.self) {
                _ = try await RestoreRunner(storage: storage).run([row], dataKeys: [row.id: try #require(key)], target: nil, on: session)
            }
            await session.close()
            _ = try await BackupChainTests.remote("rm -rf \(ShellArgument.quote(source))")
        }
    }

    @Test func aDataKeyCopiedToAnotherBackupDoesNotOpen() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("copied-key")
            let source = try await sourceTree()
            let first = try await BackupChainTests.backUp(fixture, server, source, type: .full, encrypt: true)
            let second = try await BackupChainTests.backUp(fixture, server, source, type: .full, encrypt: true)
            _ = try await fixture.database.query(
                "UPDATE backups SET data_key_ciphertext = (SELECT data_key_ciphertext FROM backups WHERE id = $1) WHERE id = $2", [first.id, second.id])
            let row = try #require(try await fixture.backups.find(id: second.id))
            await #expect(throws: RecordError.self) { _ = try await fixture.archiveKeys().dataKey(for: row, in: fixture.backups) }
            _ = try await BackupChainTests.remote("rm -rf \(ShellArgument.quote(source))")
        }
    }
}

/// `SymmetricKey` in a dictionary built across awaits.
struct SymmetricKeyBox: Sendable {
    let key: SymmetricKey
    init(_ key: SymmetricKey) { self.key = key }
}

import ArchiveFormat
import Crypto
import Foundation
import Records
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// Browsing a backup's files, streaming one out of a stored archive and restoring only named
/// files, through real backups of the sshd test host (sealed and plain links in one chain) and
/// the S3 store.
@Suite(.serialized, .removesSourceTrees) struct BackupBrowseTests {
    static func download(_ path: String, of backup: Backup, sha256: String?, storage: BackupStorage, fixture: FlowFixture) async throws -> [UInt8] {
        let key = backup.isEncrypted ? try await fixture.archiveKeys().dataKey(for: backup, in: fixture.backups) : nil
        let stream = try await storage.streamMember(path, sha256: sha256, of: backup, dataKey: key)
        defer { stream.cancel() }
        var bytes: [UInt8] = []
        while let chunk = try await stream.next() { bytes += chunk }
        return bytes
    }

    static func tree(of backup: Backup, storage: BackupStorage, fixture: FlowFixture) async throws -> BackupTree {
        var manifests: [ArchiveManifest] = []
        for link in try await fixture.backups.chain(endingAt: backup.id) {
            manifests.append(try #require(try await storage.manifest(of: link, dataKey: try await fixture.archiveKeys().dataKey(for: link, in: fixture.backups))))
        }
        return BackupTree(chain: manifests)
    }

    @Test func aSealedChainComposesStreamsExactBytesAndRestoresOnlyNamedFiles() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("browse")
            let source = try await sourceTree()
            let quoted = ShellArgument.quote(source)
            let member = String(source.dropFirst())  // tar drops the leading `/`
            let storage = BackupStorage(root: fixture.storage)
            _ = try await BackupChainTests.remote("cd \(quoted) && mkdir -p keep gone && echo one > keep/a && echo two > gone/b && echo three > changed")
            var chain = [try await BackupChainTests.backUp(fixture, server, source, type: .incremental, encrypt: true)]
            for step in ["echo added > keep/new", "sleep 1; head -c 300000 /dev/urandom > changed", "rm -rf gone && rm keep/a && mkdir fresh && echo x > fresh/y"] {
                _ = try await BackupChainTests.remote("cd \(quoted) && \(step)")
                let next = try await BackupChainTests.backUp(fixture, server, source, type: .incremental, encrypt: chain.count % 2 == 0)
                #expect(next.verification == .verified && next.backupType == .incremental, "\(next.warning ?? "")")
                chain.append(next)
            }
            let last = try #require(chain.last)
            let tree = try await Self.tree(of: last, storage: storage, fixture: fixture)
            let listed = try await BackupChainTests.remote("cd / && find \(ShellArgument.quote(member)) | sort").stdout
            let expected = listed.split(separator: "\n").map(String.init)
            #expect(tree.entries.map(\.path).sorted() == expected.sorted())
            #expect(tree.source(of: member + "/changed") == 2 && tree.source(of: member + "/keep/new") == 1 && tree.source(of: member + "/data") == 0)

            // Each file's bytes from the archive holding its latest version: sealed full, plain and sealed incrementals.
            for name in ["data", "keep/new", "changed", "fresh/y"] {
                let path = member + "/" + name
                let entry = try #require(tree.entry(at: path))
                let holder = chain[try #require(tree.source(of: path))]
                let bytes = try await Self.download(path, of: holder, sha256: entry.sha256, storage: storage, fixture: fixture)
                let remote = try await BackupChainTests.remote("sha256sum \(ShellArgument.quote(source + "/" + name)) | cut -c1-64").stdout
                #expect(sha256Hex(bytes) == remote.trimmingCharacters(in: .whitespacesAndNewlines), "\(name)")
            }
            // A manifest hash that does not match the archive stops the stream.
            await #expect(throws: ArchiveFormatError.self) {
                _ = try await Self.download(member + "/data", of: chain[0], sha256: String(repeating: "0", count: 64), storage: storage, fixture: fixture)
            }

            // Selective restore: only the named files, each from its own archive.
            var keys: [UUID: SymmetricKeyBox] = [:]
            for link in chain where link.isEncrypted {
                keys[link.id] = SymmetricKeyBox(try #require(try await fixture.archiveKeys().dataKey(for: link, in: fixture.backups)))
            }
            let session = try await connectTestHost()
            let target = try await RestoreRunner(storage: storage).run(
                chain, dataKeys: keys.mapValues(\.key), target: nil,
                paths: [member + "/keep/new", member + "/changed"], on: session)
            await session.close()
            let restored = try await BackupChainTests.remote("cd \(ShellArgument.quote(target)) && find . -type f | sort").stdout
            #expect(restored == "./\(member)/changed\n./\(member)/keep/new\n", "\(restored)")
            let same = try await BackupChainTests.remote("cmp \(ShellArgument.quote(source + "/changed")) \(ShellArgument.quote(target + source + "/changed")) && echo same").stdout
            #expect(same == "same\n")
            let missing = try await connectTestHost()
            await #expect(throws: ServerJobError.self) {
                _ = try await RestoreRunner(storage: storage).run(chain, dataKeys: keys.mapValues(\.key), target: nil, paths: [member + "/gone/b"], on: missing)
            }
            await missing.close()
            _ = try await BackupChainTests.remote("rm -rf \(quoted) \(ShellArgument.quote(target))")
        }
    }

    @Test func aFileStreamsOutOfTheObjectStore() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("browse-s3")
            let store = try await testObjectStore(partSize: 5 << 20)
            let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
            let (backup, _) = try await fixture.completedBackupInStore(server: server, store: store)
            #expect(await ArchiveVerifier.verify(backup, in: storage).verified)
            let tree = BackupTree(chain: [try #require(try await storage.manifest(of: backup, dataKey: nil))])
            let entry = try #require(tree.entry(at: "./file.txt"))
            let bytes = try await Self.download("./file.txt", of: backup, sha256: entry.sha256, storage: storage, fixture: fixture)
            #expect(bytes == Array("archived \(backup.id)\n".utf8))
        }
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

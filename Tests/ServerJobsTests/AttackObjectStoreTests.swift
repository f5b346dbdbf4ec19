import Crypto
import Foundation
import Logging
import NIOCore
import Records
import Scheduling
@testable import ServerJobs
import SSHClient
import Synchronization
import TestSupport
import Testing

/// What a careless operator or a hostile store could do to the object-store backend.
@Suite(.removesSourceTrees) struct AttackObjectStoreTests {
    @Test func theSecretKeyAppearsInNoLogErrorOrDescription() async throws {
        let secret = try TestEnvironment.require("MM_TEST_S3_SECRET_ACCESS_KEY")
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "attack.s3") { _ in CapturingLogHandler { line in lines.withLock { $0.append(line) } } }
        logger.logLevel = .trace
        let store = try await testObjectStore()
        let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
        var dumped = ""
        dump(store, to: &dumped)
        var texts = ["\(store.settings)", String(reflecting: store.settings), "\(store)", String(reflecting: store), dumped]
        // A full backup, verify and janitor run at trace level…
        let source = try await sourceTree()
        let session = try await connectTestHost()
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: .gzip)
        let outcome = try await BackupRunner(storage: storage, logger: logger).run(request, on: session) { _ in }
        texts.append("\(outcome)")
        texts.append(String(describing: await ArchiveVerifier.verify(outcome, compression: .gzip, in: storage)))
        // …and failures: a wrong secret, a missing bucket.
        let wrong = ObjectStore(settings: try testObjectStoreSettings(bucket: store.settings.bucket, secret: secret + "x"))
        let missing = ObjectStore(settings: try testObjectStoreSettings(bucket: uniqueBucket()))
        for failing in [wrong, missing] {
            let storage = BackupStorage(root: try temporaryStorage(), objectStore: failing)
            let error = await #expect(throws: ServerJobError.self, "a backup into a misconfigured store succeeded") {
                _ = try await BackupRunner(storage: storage, logger: logger).run(request, on: session) { _ in }
            }
            if let error { texts += [error.message, "\(error)", String(reflecting: error)] }
        }
        try await FlowFixture.run { fixture in
            let janitor = StorageJanitor(storage: BackupStorage(root: try temporaryStorage(), objectStore: wrong), backups: fixture.backups, logger: logger)
            let error = try await #require(throws: (any Error).self, "a sweep with a wrong secret succeeded") {
                _ = try await janitor.sweep()
            }
            texts += ["\(error)", String(reflecting: error)]
        }
        texts += lines.withLock { $0 }
        #expect(!texts.isEmpty)
        for text in texts { #expect(!text.contains(secret), "the secret leaked: \(text.prefix(300))") }
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(source))")
        await session.close()
    }

    @Test func wrongCredentialsGiveAClearErrorNotACrash() async throws {
        let store = try await testObjectStore()
        let wrongSecret = ObjectStore(settings: try testObjectStoreSettings(bucket: store.settings.bucket, secret: "not-the-secret"))
        let error = await #expect(throws: ServerJobError.self) { try await wrongSecret.createMultipartUpload(key: "medicineman/x") }
        #expect(error?.message.contains("refused our credentials") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("S3_SECRET_ACCESS_KEY") == true)
        #expect(error?.isRetryable == false)
        let wrongKey = ObjectStore(
            settings: try ObjectStoreSettings(
                endpoint: try TestEnvironment.require("MM_TEST_S3_ENDPOINT"), bucket: store.settings.bucket, accessKeyId: "AKIANOTAKEY0000000",
                secretAccessKey: "whatever", prefix: "medicineman/"))
        let refused = await #expect(throws: ServerJobError.self) { try await wrongKey.list(prefix: "medicineman/") }
        #expect(refused?.message.contains("refused our credentials") == true, "\(refused?.message ?? "")")
        // Verify answers with the reason instead of failing the request.
        let backup = Backup(
            id: UUID(), serverId: UUID(), kind: .manual, status: .completed, paths: ["/etc"],
            filePath: "\(UUID().uuidString.lowercased())/2026/01/x.tar.gz", storage: .objectStore, size: 1, sha256: "00")
        let check = await ArchiveVerifier.verify(backup, in: BackupStorage(root: try temporaryStorage(), objectStore: wrongSecret))
        #expect(!check.verified)
    }

    @Test func aCraftedRowCannotNameAnotherKey() async throws {
        let store = try await testObjectStore(prefix: "tenant-a/")
        let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("s3-crafted")
            let victim = try await fixture.completedBackupInStore(server: server, store: store)
            let outside = "tenant-b/\(server.id.uuidString.lowercased())/2026/01/\(UUID().uuidString.lowercased()).tar.gz"
            try await store.put(outside, Array("other tenant".utf8))
            let attacker = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc"])
            let attackerId = attacker.id.uuidString.lowercased()
            let serverId = server.id.uuidString.lowercased()
            let crafted = [
                victim.backup.filePath ?? "",  // another backup's archive
                "../tenant-b/\(serverId)/2026/01/\(attackerId).tar.gz",
                "../../\(outside)",
                "/\(serverId)/2026/01/../../../tenant-b/\(attackerId).tar.gz",
                "\(serverId)/2026/01/\(attackerId).tar.gz?x-id=DeleteObject",
                "\(serverId)/2026/01/\(attackerId).tar.gz%2F..%2F..",
            ]
            for path in crafted {
                var row = attacker
                row.filePath = path
                row.storage = .objectStore
                row.status = .completed
                row.sha256 = "00"
                if let key = try? storage.objectKey(of: row, in: store) {
                    // The tail of an absolute or `..` path is used only as this backup's own name, under the prefix.
                    #expect(key == "tenant-a/\(serverId)/2026/01/\(attackerId).tar.gz", "\(path) → \(key)")
                }
                _ = await storage.removeArchive(of: row, backups: fixture.backups, logger: testLogger())
                _ = await ArchiveVerifier.verify(row, in: storage)
            }
            #expect(try await store.size(of: victim.key) != nil, "another backup's archive survived")
            #expect(try await store.size(of: outside) != nil, "a key outside the prefix survived")
        }
    }

    @Test func aReplacedOrTruncatedObjectIsDetected() async throws {
        let store = try await testObjectStore()
        let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("s3-tamper")
            let (backup, key) = try await fixture.completedBackupInStore(server: server, store: store)
            #expect(await ArchiveVerifier.verify(backup, in: storage).verified)
            let size = Int(try #require(backup.size))
            try await store.put(key, [UInt8](repeating: 0x41, count: size))  // same size, other bytes
            let replaced = await ArchiveVerifier.verify(backup, in: storage)
            #expect(!replaced.verified && replaced.reason?.contains("SHA-256 mismatch") == true, "\(replaced)")
            let session = try await connectTestHost()
            let refused = await #expect(throws: ServerJobError.self) { try await RestoreRunner(storage: storage).run(backup, target: nil, on: session) }
            #expect(refused?.message.contains("no longer matches") == true)
            try await store.put(key, [UInt8](repeating: 0x41, count: size / 2))  // truncated
            let truncated = await ArchiveVerifier.verify(backup, in: storage)
            #expect(!truncated.verified && truncated.reason?.contains("recorded") == true, "\(truncated)")
            await session.close()
        }
    }

    @Test func aStoreThatLiesAboutChecksumsOrSendsShortBodiesIsCaught() async throws {
        let port = try TestEnvironment.freePort()
        let script = try TestEnvironment.require("MM_TEST_ROOT") + "/Tests/ObjectStore/lying_s3.py"
        let liar = try ChildProcess("/usr/bin/env", ["python3", script, String(port)])
        defer { liar.signal(SIGKILL) }
        let store = ObjectStore(
            settings: try ObjectStoreSettings(
                endpoint: "http://127.0.0.1:\(port)", bucket: "liar", accessKeyId: "AKID",
                secretAccessKey: "secret", prefix: "medicineman/"))
        let ready = try await eventually(every: .milliseconds(100)) { (try? await store.size(of: "medicineman/probe")) != nil }
        #expect(ready, "the lying server did not start: \(liar.errorOutput)")
        let bytes = ByteBuffer(bytes: Array("part".utf8))
        let wrongChecksum = await #expect(throws: ServerJobError.self) {
            _ = try await store.uploadPart(key: "medicineman/x", uploadId: "liar-1", number: 1, body: bytes, sha256: SHA256.hash(data: Array("part".utf8)))
        }
        #expect(wrongChecksum?.message.contains("SHA-256") == true, "\(wrongChecksum?.message ?? "")")
        let short = await #expect(throws: ServerJobError.self) { _ = try await store.read("medicineman/x", offset: 0, length: 100) }
        #expect(short?.message.contains("truncated") == true, "\(short?.message ?? "")")
        // A listing whose page tokens go round in a cycle ends with an error, not with memory exhausted.
        let endless = await #expect(throws: ServerJobError.self) { _ = try await store.list(prefix: "medicineman/") }
        #expect(endless?.message.contains("does not end") == true, "\(endless?.message ?? "")")
        // A backup into it fails cleanly (the upload is aborted), and a verify says why.
        let session = try await connectTestHost()
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: ["/etc/hostname"], compression: .gzip)
        await #expect(throws: ServerJobError.self) {
            try await BackupRunner(storage: BackupStorage(root: try temporaryStorage(), objectStore: store), logger: testLogger()).run(request, on: session) { _ in }
        }
        await session.close()
        let backup = Backup(
            id: request.id, serverId: request.serverId, kind: .manual, status: .completed, paths: ["/etc"],
            filePath: "\(request.serverId.uuidString.lowercased())/2026/01/\(request.id.uuidString.lowercased()).tar.gz", storage: .objectStore, size: 1000,
            sha256: String(repeating: "0", count: 64))
        let check = await ArchiveVerifier.verify(backup, in: BackupStorage(root: try temporaryStorage(), objectStore: store))
        #expect(!check.verified && check.reason?.contains("truncated") == true, "\(check)")
    }
}

extension AttackObjectStoreTests {
    /// Nothing listens there: the call ends once the client's connect timeout (10 s) has passed,
    /// with an error a retry may cure, not a crash nor a hang.
    @Test func anUnreachableStoreIsAClearRetryableError() async throws {
        let port = try TestEnvironment.freePort()
        let store = ObjectStore(
            settings: try ObjectStoreSettings(
                endpoint: "http://127.0.0.1:\(port)", bucket: "nobody", accessKeyId: "AKID",
                secretAccessKey: "secret"))
        let error = await #expect(throws: ServerJobError.self) { _ = try await store.createMultipartUpload(key: "medicineman/x") }
        #expect(error?.isRetryable == true && error?.message.contains("did not answer") == true, "\(String(describing: error))")
    }
}

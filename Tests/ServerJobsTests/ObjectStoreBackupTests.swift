import Foundation
import JobQueue
import PostgresClient
import Records
import Scheduling
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// Archives in an S3-protocol store (moto, started by scripts/test.sh): made by one process's
/// storage, verified, restored and deleted through another's with a different `BACKUP_DIR`.
@Suite(.removesSourceTrees) struct ObjectStoreBackupTests {
    @Test func aBackupUploadedByOneStorageIsVerifiedRestoredAndDeletedByAnother() async throws {
        let store = try await testObjectStore()
        let workerDirectory = try temporaryStorage()
        let apiDirectory = try temporaryStorage()
        let worker = BackupStorage(root: workerDirectory, objectStore: store)
        let api = BackupStorage(root: apiDirectory, objectStore: ObjectStore(settings: store.settings))
        let source = try await sourceTree(2)
        let session = try await connectTestHost()
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: .gzip)
        let outcome = try await BackupRunner(storage: worker, logger: testLogger()).run(request, on: session) { _ in }
        #expect(outcome.objectKey == "medicineman/" + outcome.storedPath)
        #expect(outcome.storedPath.hasSuffix("/\(request.id.uuidString.lowercased()).tar.gz"))
        #expect(try await store.size(of: try #require(outcome.objectKey)) == outcome.size)
        #expect(await ArchiveVerifier.verify(outcome, compression: .gzip, in: worker).verified)

        let backup = Backup(
            id: request.id, serverId: request.serverId, kind: .manual, status: .completed, paths: [source],
            filePath: outcome.storedPath, storage: .objectStore, size: outcome.size, sha256: outcome.sha256)
        let check = await ArchiveVerifier.verify(backup, in: api)
        #expect(check.verified, "\(check.reason ?? "")")
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let target = "\(home)/\(TestEnvironment.uniqueName("s3restore"))"
        let used = try await RestoreRunner(storage: api).run(backup, target: target, on: session)
        #expect(used == target)
        let original = try await session.run("sha256sum < \(ShellArgument.quote(source + "/data"))").stdout
        let restored = try await session.run("sha256sum < \(ShellArgument.quote(target + source + "/data"))").stdout
        #expect(original == restored && !original.isEmpty)

        try await FlowFixture.run { fixture in
            // A row is needed for the "no other row names it" check; none exists, so the object goes.
            #expect(await api.removeArchive(of: backup, backups: fixture.backups, logger: testLogger()) == .removed)
        }
        #expect(try await store.size(of: try #require(outcome.objectKey)) == nil)
        #expect(filesUnder(workerDirectory).isEmpty && filesUnder(apiDirectory).isEmpty, "nothing is stored locally")
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(source)) \(ShellArgument.quote(target))")
        await session.close()
    }

    @Test(.exclusive) func anArchiveOfManyPartsIsUploadedWithBoundedMemory() async throws {
        let partSize = 5 << 20
        let store = try await testObjectStore(partSize: partSize, partsInFlight: 2)
        let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
        let source = try await sourceTree(36)  // random, so uncompressed: 8 parts of 5 MiB
        let session = try await connectTestHost()
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: .none)
        let outcome = try await BackupRunner(storage: storage, logger: testLogger()).run(request, on: session) { _ in }
        #expect(outcome.size > 36 << 20)
        let peak = try #require(outcome.peakBufferedBytes)
        // Two parts uploading, one filling, one SSH chunk: never the archive.
        #expect(peak <= 3 * partSize + (1 << 20), "held \(peak) bytes at most")
        #expect(peak >= partSize)
        let check = await ArchiveVerifier.verify(outcome, compression: .none, in: storage)
        #expect(check.verified, "\(check.reason ?? "")")
        let local = try await session.run("cd / && tar --create --file=- -- \(ShellArgument.quote(source)) 2>/dev/null | wc -c").stdout
        #expect(Int64(local.trimmingCharacters(in: .whitespacesAndNewlines)) == outcome.size)
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(source))")
        await session.close()
    }

    @Test func aFailureBeforeCompletionAbortsTheUploadAndLeavesNoObject() async throws {
        let store = try await testObjectStore()
        let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
        let source = try await sourceTree(6)
        let session = try await connectTestHost()
        // The fence refuses after every part was uploaded (the attempt lost its job).
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: .none)
        await #expect(throws: ServerJobError.self) {
            try await BackupRunner(storage: storage, logger: testLogger()).run(request, on: session, fence: { throw UnrecoverableError("lost the lock") }) { _ in }
        }
        // Cancelled mid-stream, once the upload has begun (the job's shutdown or a lost lease).
        let large = try await sourceTree(64)
        let cancelled = BackupRequest(id: UUID(), serverId: UUID(), paths: [large], compression: .gzip)
        let running = Task { try await BackupRunner(storage: storage, logger: testLogger()).run(cancelled, on: session) { _ in } }
        #expect(try await waitFor { !(try await store.pendingUploads(prefix: store.settings.prefix).isEmpty) })
        try await Task.sleep(for: .milliseconds(300))
        running.cancel()
        let outcome = await running.result
        let error = #expect(throws: ServerJobError.self) { try outcome.get() }
        #expect(error?.code == .cancelled, "\(String(describing: error))")
        #expect(try await store.list(prefix: store.settings.prefix).isEmpty, "no object was completed")
        #expect(try await store.pendingUploads(prefix: store.settings.prefix).isEmpty, "every multipart upload was aborted")
        await session.close()  // cancelling its command closed it
        let cleanup = try await connectTestHost()
        _ = try await cleanup.run("rm -rf -- \(ShellArgument.quote(source)) \(ShellArgument.quote(large))")
        await cleanup.close()
    }

    @Test func aBackupJobRunsVerifiesAndAppliesRetentionInTheStore() async throws {
        let store = try await testObjectStore()
        let local = try temporaryStorage()
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("s3-retention")
            let source = try await sourceTree()
            let schedule = try await fixture.makeSchedule(
                server: server, cron: "* * * * *", paths: [source],
                retention: RetentionPolicy(keepLast: 1), start: Date().addingTimeInterval(-600))
            let older = try await fixture.completedBackupInStore(server: server, store: store, scheduleId: schedule.id)
            let backup = try await fixture.backups.create(serverId: server.id, kind: .scheduled, paths: [source], compression: .gzip, scheduleId: schedule.id)
            try await fixture.withWorkers(archives: BackupStorage(root: local, objectStore: store)) { () async throws in
                _ = try await fixture.dispatcher.enqueue(.scheduledBackup, recordId: backup.id)
                #expect(try await waitFor { try await fixture.backups.find(id: backup.id)?.verification == .verified })
                #expect(try await waitFor { try await fixture.backups.find(id: older.backup.id) == nil })
            }
            let done = try #require(try await fixture.backups.find(id: backup.id))
            #expect(done.storage == .objectStore)
            let key = done.filePath.map { store.settings.prefix + $0 }
            #expect(try await store.size(of: try #require(key)) == done.size)
            #expect(try await store.size(of: older.key) == nil, "retention deleted the older archive")
            #expect(filesUnder(local).isEmpty)
        }
    }

    @Test func theJanitorRemovesOrphansAndStaleUploadsButNeverAReferencedObject() async throws {
        let store = try await testObjectStore()
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("s3-janitor")
            let kept = try await fixture.completedBackupInStore(server: server, store: store)
            let orphan = store.settings.prefix + "\(server.id.uuidString.lowercased())/2026/01/\(UUID().uuidString.lowercased()).tar.gz"
            try await store.put(orphan, Array("orphan".utf8))
            // Manifests follow their archive: the orphan's goes, the kept one's stays.
            try await store.put(orphan + ".manifest.gz", Array("m".utf8))
            try await store.put(kept.key + ".manifest.gz", Array("m".utf8))
            let foreign = store.settings.prefix + "notes/readme.txt"  // not a name we give: never touched
            try await store.put(foreign, Array("keep".utf8))
            let staleKey = store.settings.prefix + "\(server.id.uuidString.lowercased())/2026/01/\(UUID().uuidString.lowercased()).tar.gz"
            _ = try await store.createMultipartUpload(key: staleKey)
            let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
            // Young orphans are safe (an archive completed a moment before its row). (moto dates
            // every upload's `Initiated` in 2010, so the stale upload may go in either sweep.)
            let young = try await StorageJanitor(storage: storage, backups: fixture.backups, logger: testLogger()).sweep()
            #expect(young.orphans == 0 && young.heldBack == nil, "\(young)")
            let report = try await StorageJanitor(storage: storage, backups: fixture.backups, orphanAge: .zero, logger: testLogger())
                .sweep(now: Date().addingTimeInterval(5))
            #expect(report.orphans == 2 && young.partials + report.partials == 1 && report.heldBack == nil, "\(report)")
            #expect(try await store.size(of: orphan) == nil)
            #expect(try await store.size(of: orphan + ".manifest.gz") == nil)
            #expect(try await store.size(of: kept.key + ".manifest.gz") != nil)
            #expect(try await store.size(of: kept.key) != nil, "a referenced archive is never removed")
            #expect(try await store.size(of: foreign) != nil)
            #expect(try await store.pendingUploads(prefix: store.settings.prefix).isEmpty)
        }
    }

    @Test func eachArchiveIsReadWhereItsRowSaysItLives() async throws {
        let store = try await testObjectStore()
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("s3-mixed")
            let root = try temporaryStorage()
            // An archive from before the switch to BACKUP_STORAGE=s3 stays in the directory.
            let old = try await fixture.completedBackupWithArchive(server: server, root: root)
            let new = try await fixture.completedBackupInStore(server: server, store: store)
            #expect(old.backup.storage == .directory && new.backup.storage == .objectStore)
            let both = BackupStorage(root: root, objectStore: store)
            #expect(await ArchiveVerifier.verify(old.backup, in: both).verified)
            #expect(await ArchiveVerifier.verify(new.backup, in: both).verified)
            // The janitor sweeps both: an orphan in each goes, the two archives with rows stay.
            let fileOrphan = try plantOrphan(in: root + "/" + server.id.uuidString.lowercased() + "/2026/01")
            let objectOrphan = store.settings.prefix + "\(server.id.uuidString.lowercased())/2026/01/\(UUID().uuidString.lowercased()).tar.gz"
            try await store.put(objectOrphan, Array("orphan".utf8))
            let report = try await StorageJanitor(storage: both, backups: fixture.backups, orphanAge: .zero, logger: testLogger())
                .sweep(now: Date().addingTimeInterval(5))
            #expect(report.orphans == 2 && report.heldBack == nil, "\(report)")
            #expect(!FileManager.default.fileExists(atPath: fileOrphan) && FileManager.default.fileExists(atPath: old.file))
            #expect(try await store.size(of: objectOrphan) == nil)
            #expect(try await store.size(of: new.key) != nil)
            // A process without the store's settings says so instead of looking in its directory.
            let directoryOnly = await ArchiveVerifier.verify(new.backup, in: BackupStorage(root: root))
            #expect(!directoryOnly.verified && directoryOnly.reason?.contains("BACKUP_STORAGE=s3") == true, "\(directoryOnly)")
            #expect(await BackupStorage(root: root).removeArchive(of: new.backup, backups: fixture.backups, logger: testLogger()) != .removed)
            _ = try await fixture.backups.delete(id: old.backup.id)
            #expect(await both.removeArchive(of: old.backup, backups: fixture.backups, logger: testLogger()) == .removed)
            #expect(!FileManager.default.fileExists(atPath: old.file))
            #expect(try await store.size(of: new.key) != nil)
        }
    }

    @Test func theJanitorDeletesNothingWhenTheRowsCannotBeTrusted() async throws {
        let store = try await testObjectStore()
        let orphan = store.settings.prefix + "\(UUID().uuidString.lowercased())/2026/01/\(UUID().uuidString.lowercased()).tar.gz"
        try await store.put(orphan, Array("orphan".utf8))
        let storage = BackupStorage(root: try temporaryStorage(), objectStore: store)
        let later = Date().addingTimeInterval(5)
        // PostgreSQL unreachable: the sweep throws before listing anything.
        let closed = PostgresPool(
            configuration: PostgresConfiguration(url: "postgres://nobody@127.0.0.1:1/nothing", connectTimeout: .seconds(2)),
            logger: testLogger())
        await #expect(throws: (any Error).self) {
            try await StorageJanitor(storage: storage, backups: BackupRepository(database: closed), orphanAge: .zero, logger: testLogger()).sweep(now: later)
        }
        await closed.close()
        try await FlowFixture.run { fixture in
            let janitor = StorageJanitor(storage: storage, backups: fixture.backups, orphanAge: .zero, logger: testLogger())
            let empty = try await janitor.sweep(now: later)
            #expect(empty.heldBack?.contains("no rows") == true && empty.orphans == 0, "\(empty)")
            let server = try await fixture.makeServer("s3-foreign-rows")
            _ = try await fixture.completedBackupWithArchive(server: server, root: try temporaryStorage())
            let foreign = try await janitor.sweep(now: later)
            #expect(foreign.heldBack?.contains("none of the") == true && foreign.orphans == 0, "\(foreign)")
            _ = try await fixture.database.query("DROP TABLE backups CASCADE")
            await #expect(throws: (any Error).self) { try await janitor.sweep(now: later) }
        }
        #expect(try await store.size(of: orphan) != nil)
    }
}

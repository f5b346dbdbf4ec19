import Foundation
import Logging
import PostgresClient
import Records
import Scheduling
@testable import ServerJobs
import TestSupport
import Testing

/// What a careless operator or an attacker does to the backup directory and its rows: respell
/// BACKUP_DIR, move the volume, lose the database, point a row outside.
@Suite struct AttackStorageTests {
    @Test func theJanitorLosesNoArchiveUnderFiveSpellingsOfTheSameDirectory() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("attack-spelling")
            let base = try temporaryStorage()
            let original = try BackupStorage(root: base + "/backups").canonicalRoot()
            var made: [(backup: Backup, file: String)] = []
            for compression in [Compression.gzip, .none, .gzip] {
                made.append(try await fixture.completedBackupWithArchive(server: server, root: original, compression: compression))
            }
            // A row written before migration 0009, with the absolute path of the time.
            made.append(try await fixture.completedBackupWithArchive(server: server, root: original, storedPath: { $0.absolute }))
            let failed = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc/hostname"])
            try await fixture.backups.markFailed(id: failed.id, error: "test")
            let failedLeftover = original + "/" + server.id.uuidString.lowercased() + "/2020/01/" + failed.id.uuidString.lowercased() + ".tar.gz"
            try FileManager.default.createDirectory(atPath: (failedLeftover as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: failedLeftover, contents: Data("a failed backup's file".utf8))
            for entry in made { try age(entry.file) }
            try age(failedLeftover)

            let link = base + "/link-to-backups"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: original)
            let moved = base + "/new-volume/backups"
            let spellings: [(name: String, root: String, move: Bool)] = [
                ("trailing slash", original + "/", false),
                ("./ relative", "./" + relativeToWorkingDirectory(original), false),
                ("plain relative", relativeToWorkingDirectory(original), false),
                ("through a symlink", link, false),
                ("moved volume", moved, true),
            ]
            var current = original
            for spelling in spellings {
                if spelling.move {
                    try FileManager.default.createDirectory(atPath: (moved as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try FileManager.default.moveItem(atPath: original, toPath: moved)
                    current = moved
                }
                let orphan = try plantOrphan(in: current + "/" + server.id.uuidString.lowercased() + "/2021/02")
                let storage = BackupStorage(root: spelling.root)
                let report = try await StorageJanitor(storage: storage, backups: fixture.backups, logger: testLogger()).sweep()
                #expect(report == .init(partials: 0, orphans: 1), "\(spelling.name): \(report)")
                #expect(!FileManager.default.fileExists(atPath: orphan), "\(spelling.name): the janitor did run")
                for entry in made {
                    let file = current + String(entry.file.dropFirst(original.count))
                    #expect(FileManager.default.fileExists(atPath: file), "\(spelling.name): \(file) was deleted")
                    let row = try #require(try await fixture.backups.find(id: entry.backup.id))
                    #expect(row.status == .completed && row.filePath == entry.backup.filePath, "\(spelling.name): the row changed")
                    #expect(await ArchiveVerifier.verify(row, in: storage).verified, "\(spelling.name): \(row.filePath ?? "")")
                }
                let leftover = current + String(failedLeftover.dropFirst(original.count))
                #expect(FileManager.default.fileExists(atPath: leftover), "\(spelling.name): a failed backup's file has a row and stays")
            }
        }
    }

    @Test func symlinksInsideTheDirectoryAreNeitherFollowedNorDeleted() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("attack-symlinks")
            let base = try BackupStorage(root: try temporaryStorage()).canonicalRoot()
            let root = base + "/backups"
            let kept = try await fixture.completedBackupWithArchive(server: server, root: root)
            try age(kept.file)
            // Outside: a file named like an orphaned archive, and a directory holding another.
            let outsideFile = try plantOrphan(in: base + "/outside-file")
            let outsideTree = base + "/outside-tree"
            let outsideInTree = try plantOrphan(in: outsideTree + "/" + server.id.uuidString.lowercased() + "/2026/01")
            let month = root + "/" + server.id.uuidString.lowercased() + "/2026/02"
            try FileManager.default.createDirectory(atPath: month, withIntermediateDirectories: true)
            let fileLink = month + "/" + UUID().uuidString.lowercased() + ".tar.gz"
            try FileManager.default.createSymbolicLink(atPath: fileLink, withDestinationPath: outsideFile)
            try FileManager.default.createSymbolicLink(atPath: root + "/" + UUID().uuidString.lowercased(), withDestinationPath: outsideTree)
            let report = try await StorageJanitor(storage: BackupStorage(root: root), backups: fixture.backups, logger: testLogger()).sweep()
            #expect(report == .init(), "\(report)")
            for path in [outsideFile, outsideInTree, kept.file, fileLink] {
                #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil || FileManager.default.fileExists(atPath: path), "\(path)")
            }
        }
    }

    @Test func anUnreachableDatabaseOrAMissingTableDeletesNothing() async throws {
        let root = try temporaryStorage()
        let orphan = try plantOrphan(in: root + "/" + UUID().uuidString.lowercased() + "/2026/01")
        let partial = (orphan as NSString).deletingLastPathComponent + "/." + UUID().uuidString.lowercased() + ".tar.gz.partial"
        _ = FileManager.default.createFile(atPath: partial, contents: Data("partial".utf8))
        try age(partial)
        let closed = PostgresPool(
            configuration: PostgresConfiguration(url: "postgres://nobody@127.0.0.1:1/nothing", connectTimeout: .seconds(2)),
            logger: testLogger())
        await #expect(throws: (any Error).self) {
            try await StorageJanitor(storage: BackupStorage(root: root), backups: BackupRepository(database: closed), logger: testLogger()).sweep()
        }
        await closed.close()
        try await FlowFixture.run { fixture in
            _ = try await fixture.database.query("DROP TABLE backups CASCADE")
            await #expect(throws: (any Error).self) {
                try await StorageJanitor(storage: BackupStorage(root: root), backups: fixture.backups, logger: testLogger()).sweep()
            }
        }
        #expect(FileManager.default.fileExists(atPath: orphan) && FileManager.default.fileExists(atPath: partial))
    }

    @Test func rowsThatCannotBeThisDirectorysDeleteNothing() async throws {
        try await FlowFixture.run { fixture in
            let root = try temporaryStorage()
            let orphan = try plantOrphan(in: root + "/" + UUID().uuidString.lowercased() + "/2026/01")
            let partial = (orphan as NSString).deletingLastPathComponent + "/." + UUID().uuidString.lowercased() + ".tar.gz.partial"
            _ = FileManager.default.createFile(atPath: partial, contents: Data("partial".utf8))
            let janitor = StorageJanitor(storage: BackupStorage(root: root), backups: fixture.backups, logger: testLogger())
            // An empty table (a fresh or wrong database) while archives exist.
            let empty = try await janitor.sweep()
            #expect(empty.heldBack?.contains("no rows") == true && empty.orphans == 0 && empty.partials == 0, "\(empty)")
            // Rows, but none for any archive here (another installation's database).
            let server = try await fixture.makeServer("attack-wrong-db")
            _ = try await fixture.completedBackupWithArchive(server: server, root: try temporaryStorage())
            let foreign = try await janitor.sweep()
            #expect(foreign.heldBack?.contains("none of the") == true && foreign.orphans == 0 && foreign.partials == 0, "\(foreign)")
            #expect(FileManager.default.fileExists(atPath: orphan) && FileManager.default.fileExists(atPath: partial))
        }
    }

    @Test func retentionNeverDeletesOutsideTheDirectoryNorAnotherRowsArchive() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("attack-retention")
            let base = try BackupStorage(root: try temporaryStorage()).canonicalRoot()
            let root = base + "/backups"
            let victim = base + "/victim.txt"
            _ = FileManager.default.createFile(atPath: victim, contents: Data("not an archive".utf8))
            // Looks like an archive path, but outside the directory.
            let outsideId = UUID()
            let outside = base + "/elsewhere/" + server.id.uuidString.lowercased() + "/2026/01/" + outsideId.uuidString.lowercased() + ".tar.gz"
            try FileManager.default.createDirectory(atPath: (outside as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: outside, contents: Data("outside".utf8))
            let other = try await fixture.completedBackupWithArchive(server: server, root: root)
            let schedule = try await fixture.makeSchedule(server: server, cron: "@daily", retention: RetentionPolicy(keepLast: 1), start: Date())
            let evil = [
                victim, "../victim.txt", "../../" + String(victim.drop { $0 == "/" }), outside, try #require(other.backup.filePath),
                root + "/" + (try #require(other.backup.filePath)),
            ]
            for path in evil {
                _ = try await fixture.completedBackupWithArchive(server: server, root: try temporaryStorage(), scheduleId: schedule.id, storedPath: { _ in path })
            }
            let newest = try await fixture.completedBackupWithArchive(server: server, root: root, scheduleId: schedule.id)
            let storage = BackupStorage(root: root)
            let deleted = try await BackupRetention(backups: fixture.backups, storage: storage, logger: testLogger()).apply(to: schedule)
            #expect(deleted.count == evil.count)
            for path in [victim, outside, other.file, newest.file] { #expect(FileManager.default.fileExists(atPath: path), "\(path) was deleted") }
            // Even named after its own backup, a path outside is looked for inside (where it is not).
            let named = Backup(id: outsideId, serverId: server.id, kind: .scheduled, status: .completed, paths: ["/x"], filePath: outside)
            #expect(throws: ServerJobError.self) { try storage.archivePath(of: named) }
            for path in [victim, "../victim.txt"] {
                let row = Backup(serverId: server.id, kind: .scheduled, status: .completed, paths: ["/x"], filePath: path)
                #expect(throws: ServerJobError.self, "\(path) resolved") { try storage.archivePath(of: row) }
            }
        }
    }

    @Test func legacyAbsoluteRowsBecomeRelativeAndSurviveAMovedDirectory() async throws {
        try await TestEnvironment.withScratchDatabase(logger: testLogger()) { configuration in
            let pool = PostgresPool(configuration: configuration, logger: testLogger())
            let all = try MigrationRunner.load(directory: try TestEnvironment.require("MM_TEST_ROOT") + "/migrations")
            #expect(all.contains { $0.name == "relative_archive_paths" })
            _ = try await pool.withConnection { connection in
                try await MigrationRunner(migrations: all.filter { $0.name != "relative_archive_paths" && $0.version < 9 }, logger: testLogger())
                    .migrate(on: connection)
            }
            let servers = ServerRepository(database: pool, vault: CredentialVault(current: try EncryptionKey(hex: String(repeating: "5a", count: 32))))
            let server = try await servers.create(NewServer(name: "legacy", host: "legacy.example.com", username: "u", authType: .password, credential: "pw"))
            let backups = BackupRepository(database: pool)
            let root = try temporaryStorage() + "/old-volume"
            var rows: [(id: UUID, relative: String)] = []
            // Rows as that version wrote them (the repository speaks the newest schema).
            func legacyRow(_ filePath: String, id: UUID = UUID()) async throws -> UUID {
                _ = try await pool.query(
                    """
                    INSERT INTO backups (id, server_id, kind, paths, status, file_path, size_bytes, sha256)
                    VALUES ($1, $2, 'manual', $3, 'completed', $4, 1, $5)
                    """, [id, server.id, ["/etc"], filePath, String(repeating: "0", count: 64)])
                return id
            }
            for stored in ["/", "./", ""] {
                let id = UUID()
                let relative = server.id.uuidString.lowercased() + "/2025/12/" + id.uuidString.lowercased() + ".tar.gz"
                let prefix = stored == "/" ? root + "//" : stored == "./" ? "./backups/" : "backups/"
                rows.append((try await legacyRow(prefix + relative, id: id), relative))
            }
            let odd = try await legacyRow("/etc/passwd")
            _ = try await pool.withConnection { try await MigrationRunner(migrations: all, logger: testLogger()).migrate(on: $0) }
            for row in rows { #expect(try await backups.find(id: row.id)?.filePath == row.relative) }
            #expect(try await backups.find(id: odd)?.filePath == "/etc/passwd", "a path naming no archive is left as it was")
            await pool.close()
        }
    }
}

import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import Records
import ServerJobs
import TestSupport
import Testing

/// A backup row whose `file_path` was tampered with: `DELETE /api/backups/:id` removes the row and
/// never a file outside BACKUP_DIR or an archive another row names.
@Suite struct AttackBackupAPITests {
    @Test func deletingABackupNeverDeletesOutsideTheDirectoryNorAnotherRowsArchive() async throws {
        try await APIFixture.run { fixture in
            let domain = try #require(fixture.dependencies.domain)
            let server = try await domain.servers.create(
                NewServer(
                    name: "attack-delete", host: "files.example.com", username: "u",
                    authType: .password, credential: "pw"))
            let storage = BackupStorage(root: fixture.storage)
            let root = try storage.canonicalRoot()
            let outsideDirectory = try BackupStorage(root: NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("victim")).canonicalRoot()
            let victim = outsideDirectory + "/victim.txt"
            _ = FileManager.default.createFile(atPath: victim, contents: Data("not an archive".utf8))

            func completed(_ filePath: ((BackupStorage.Location) -> String)? = nil) async throws -> (backup: Backup, file: String) {
                let record = try await domain.backups.create(serverId: server.id, kind: .manual, paths: ["/etc"])
                let location = try storage.location(for: BackupRequest(record))
                try FileManager.default.createDirectory(atPath: (location.absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: location.absolute, contents: Data("archive \(record.id)".utf8))
                let done = try await domain.backups.markCompleted(
                    id: record.id, filePath: filePath?(location) ?? location.relative, size: 1,
                    sha256: String(repeating: "0", count: 64))
                return (done, location.absolute)
            }
            let legit = try await completed()
            let other = try await completed()
            let otherRelative = try #require(other.backup.filePath)
            let evilPaths = [
                victim, "../" + (outsideDirectory as NSString).lastPathComponent + "/victim.txt",
                String(repeating: "../", count: 12) + victim.drop { $0 == "/" }, otherRelative, root + "/" + otherRelative,
            ]
            var planted: [Backup] = []
            for path in evilPaths { planted.append(try await completed { _ in path }.backup) }
            let evil = planted

            let app = try fixture.app()
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/backups/\(other.backup.id.uuidString.lowercased())", method: .get, headers: fixture.headers(.viewer)) { response throws in
                    #expect(try json(response)["data"]?["filePath"]?.stringValue == otherRelative, "filePath is relative to BACKUP_DIR")
                }
                for backup in evil {
                    try await client.execute(uri: "/api/backups/\(backup.id.uuidString.lowercased())", method: .delete, headers: fixture.headers(.operator)) { response throws in
                        #expect(response.status == .ok)
                        let data = try json(response)["data"]
                        #expect(data?["fileRemoved"] == false, "\(backup.filePath ?? "")")
                        #expect(data?["fileKept"]?.stringValue?.contains("refusing") == true, "\(data?.jsonText ?? "")")
                    }
                }
                try await client.execute(uri: "/api/backups/\(legit.backup.id.uuidString.lowercased())", method: .delete, headers: fixture.headers(.operator)) { response throws in
                    #expect(try json(response)["data"]?["fileRemoved"] == true)
                }
            }
            for backup in evil { #expect(try await domain.backups.find(id: backup.id) == nil, "the row itself is deleted") }
            #expect(FileManager.default.fileExists(atPath: victim))
            #expect(FileManager.default.fileExists(atPath: other.file), "another row's archive stays")
            #expect(!FileManager.default.fileExists(atPath: legit.file))
        }
    }
}

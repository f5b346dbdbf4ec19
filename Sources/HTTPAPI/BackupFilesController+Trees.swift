import ArchiveFormat
import BlockingIO
import Foundation
import Hummingbird
import Records
import ServerJobs

extension BackupFilesController {
    func completedBackup(_ context: APIRequestContext) async throws -> Backup {
        let id = try Paging.uuid(context, "id")
        guard let backup = try await domain.backups.find(id: id) else { throw APIError.notFound("backup \(id.lowercasedString)") }
        guard backup.status == .completed, backup.filePath != nil, backup.sha256 != nil else {
            throw APIError(.conflict, code: "backup_not_completed", "backup \(id.lowercasedString) has no completed archive yet")
        }
        return backup
    }

    /// `backup`'s files as its chain (full first) composes them, and that chain; 409 when a
    /// link has no manifest yet.
    func tree(of backup: Backup) async throws -> (tree: BackupTree, chain: [Backup]) {
        let slot = try domain.treeBuilds.acquire()
        defer { withExtendedLifetime(slot) {} }
        let chain = try await domain.backups.chain(endingAt: backup.id)
        var manifests: [ArchiveManifest] = []
        for link in chain {
            let manifest: ArchiveManifest?
            do { manifest = try await domain.storage.manifest(of: link, dataKey: try await domain.dataKey(for: link)) } catch let error as ServerJobError {
                throw APIError(.conflict, code: "manifest_unreadable", "the file list of backup \(link.id.lowercasedString) cannot be read: \(error.message)")
            }
            guard let manifest else {
                let which = link.id == backup.id ? "backup \(link.id.lowercasedString)" : "backup \(link.id.lowercasedString) (in the chain of \(backup.id.lowercasedString))"
                throw APIError(.conflict, code: "manifest_missing", "\(which) has no file list yet: verify the backup to build it (POST /api/backups/\(link.id.lowercasedString)/verify)")
            }
            manifests.append(manifest)
        }
        let composed = manifests
        let tree = await BlockingWork.run { BackupTree(chain: composed) }
        return (tree, chain)
    }

    /// The `paths` of a selective restore: 1-1000 member paths, each valid and in the backup.
    func checkSelection(_ paths: [String], of backup: Backup) async throws {
        guard (1...1000).contains(paths.count) else { throw APIError.validation("paths", "paths must hold 1 to 1000 member paths") }
        guard paths.reduce(0, { $0 + $1.utf8.count + 1 }) <= RestoreRunner.selectionBytesLimit else {
            throw APIError.validation("paths", "paths exceed \(RestoreRunner.selectionBytesLimit) bytes in all")
        }
        for path in paths { try Self.checkMemberPath(path, field: "paths") }
        let tree = try await tree(of: backup).tree
        if let missing = paths.first(where: { tree.entry(at: $0) == nil }) {
            throw APIError.notFound("\(missing) in backup \(backup.id.lowercasedString)")
        }
    }
}

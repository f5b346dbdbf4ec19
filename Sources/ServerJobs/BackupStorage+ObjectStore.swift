import Foundation
import Logging
package import Records

/// Archives in an object store: keys are `<prefix>` plus the same relative name a directory
/// would use, made only from a row's validated ids (`archiveName(of:)`), so no row, request or
/// listing can name a key outside the prefix or another backup's archive.
extension BackupStorage {
    /// The object store holding `backup`'s archive, or nil when its row says it is in the
    /// directory (rows made before `BACKUP_STORAGE=s3`, still read from `BACKUP_DIR`).
    package func objectStore(for backup: Backup) throws(ServerJobError) -> ObjectStore? {
        guard backup.storage == .objectStore else { return nil }
        guard let objectStore else {
            throw ServerJobError(
                .storage, "backup \(backup.id)'s archive is in the object store, but this process has no BACKUP_STORAGE=s3 settings",
                retryable: false)
        }
        return objectStore
    }

    /// The object key of a relative archive name (already validated by `archiveName`).
    func objectKey(_ name: ArchiveName, in store: ObjectStore) -> String {
        store.settings.prefix + name.relative
    }

    /// `backup`'s object key and recorded size, refusing rows whose path names another backup.
    package func objectKey(of backup: Backup, in store: ObjectStore) throws(ServerJobError) -> String {
        objectKey(try archiveName(of: backup), in: store)
    }

    /// The archive name a listed key carries when it is one of ours (`<prefix><relative>`,
    /// exactly four parts); nil for anything else under the prefix.
    package static func archiveName(ofKey key: String, prefix: String) -> ArchiveName? {
        guard key.hasPrefix(prefix) else { return nil }
        let relative = String(key.dropFirst(prefix.count))
        guard let name = archiveName(ofStored: relative), name.relative == relative else { return nil }
        return name
    }

    /// Deletes `backup`'s object after the same checks as a file: the row must name this
    /// backup's own archive and no other row may name it.
    func removeObject(of backup: Backup, in store: ObjectStore, backups: any BackupStore, logger: Logger) async -> ArchiveRemoval {
        let key: String
        do {
            key = try objectKey(of: backup, in: store)
        } catch {
            logger.warning("not deleting a backup's archive", metadata: ["backup": "\(backup.id)", "reason": "\(error.message)"])
            return .kept(error.message)
        }
        if let kept = await Self.namedByAnotherRow(key, of: backup, backups: backups, logger: logger) { return kept }
        do {
            guard try await store.size(of: key) != nil else { return .missing }
            try await store.delete(key)
            return .removed
        } catch {
            logger.warning("could not delete an archive", metadata: ["key": "\(key)", "error": "\(error.message)"])
            return .kept("could not delete \(key): \(error.message)")
        }
    }

    /// A blocking reader of `backup`'s archive in the object store, after checking the object's
    /// size against the row (a shorter or longer object is not the archive that was recorded).
    func objectReader(of backup: Backup, in store: ObjectStore) async throws(ServerJobError) -> ObjectRangeReader {
        let key = try objectKey(of: backup, in: store)
        guard let size = try await store.size(of: key) else {
            throw ServerJobError(.storage, "the archive \(key) is not in the object store bucket \(store.settings.bucket)", retryable: false)
        }
        if let recorded = backup.size, recorded != size {
            throw ServerJobError(.storage, "the archive \(key) holds \(size) bytes, but \(recorded) were recorded: truncated or replaced", retryable: false)
        }
        return ObjectRangeReader(store: store, key: key, size: size)
    }
}

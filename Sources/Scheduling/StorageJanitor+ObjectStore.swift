import Foundation
import Logging
import Records
import ServerJobs

extension StorageJanitor {
    /// The object-store sweep, with the directory's rules: the bucket prefix is listed and
    /// compared with the rows; nothing is deleted when the rows do not look like this prefix's
    /// (none at all, or none for any object here). Orphans are objects of ours (`<prefix>` plus a
    /// four-part archive name) with no row, once `orphanAge` old; stale uploads are multipart
    /// uploads of backups not running, started `partialAge` ago or more. Keys deleted are made again from
    /// the parsed name, never taken from the listing as they are.
    func sweepObjects(
        in store: ObjectStore, running: Set<UUID>, references: (ids: Set<UUID>, fileNames: Set<String>),
        olderThan oldest: Cutoffs
    ) async throws -> Report {
        let prefix = store.settings.prefix
        let objects = try await store.list(prefix: prefix)
        let uploads = try await store.pendingUploads(prefix: prefix)
        var orphans: [String] = []
        var kept: [String] = []
        var archives = 0
        var archivesWithRow = 0
        for object in objects {
            if let name = BackupStorage.archiveName(ofManifestKey: object.key, prefix: prefix) {
                let referenced = references.ids.contains(name.backupId) || references.fileNames.contains(name.fileName)
                if !referenced, object.lastModified < oldest.orphans { orphans.append(BackupStorage.manifestPath(ofArchive: prefix + name.relative)) }
                continue
            }
            guard let name = BackupStorage.archiveName(ofKey: object.key, prefix: prefix) else { continue }
            archives += 1
            if references.ids.contains(name.backupId) || references.fileNames.contains(name.fileName) {
                archivesWithRow += 1
            } else if object.lastModified < oldest.orphans {
                orphans.append(prefix + name.relative)
            } else {
                kept.append(prefix + name.relative)
            }
        }
        let stale = uploads.filter { upload in
            guard let name = BackupStorage.archiveName(ofKey: upload.key, prefix: prefix) else { return false }
            return !running.contains(name.backupId) && upload.initiated < oldest.partials
        }
        let place = "\(store.settings.bucket)/\(prefix)"
        Self.warnOfKept(kept, in: place, logger: logger)
        var report = Report()
        if references.ids.isEmpty, archives + stale.count > 0 {
            report.heldBack =
                "the backups table has no rows, yet \(place) holds \(archives) archive(s) and \(stale.count) unfinished upload(s): "
                + "the database cannot be this store's source of truth; nothing was deleted"
        } else if archives > 0, archivesWithRow == 0 {
            report.heldBack =
                "none of the \(archives) archive(s) in \(place) has a backup row: the database does not look like this "
                + "store's (check DATABASE_URL, S3_BUCKET and S3_PREFIX); nothing was deleted"
        }
        if let reason = report.heldBack {
            logger.warning("the object store was not swept", metadata: ["reason": "\(reason)"])
            return report
        }
        for upload in stale {
            guard let name = BackupStorage.archiveName(ofKey: upload.key, prefix: prefix) else { continue }
            do {
                try await store.abortMultipartUpload(key: prefix + name.relative, uploadId: upload.uploadId)
                report.partials += 1
            } catch {
                logger.warning("could not abort a stale upload", metadata: ["key": "\(upload.key)", "error": "\(error.message)"])
            }
        }
        for key in orphans {
            do {
                try await store.delete(key)
                report.orphans += 1
            } catch {
                logger.warning("could not delete an orphaned archive", metadata: ["key": "\(key)", "error": "\(error.message)"])
            }
        }
        if report != Report() {
            logger.notice("object store swept", metadata: ["aborted": "\(report.partials)", "orphans": "\(report.orphans)"])
        }
        return report
    }
}

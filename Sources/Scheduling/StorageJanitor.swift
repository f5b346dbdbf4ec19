import BlockingIO
package import Foundation
package import Logging
package import Records
package import ServerJobs

/// Removes what interrupted or deleted backups leave in the backup directory: partial files of
/// backups that are not running (once `partialAge` old, an hour), and archives no backup row
/// names (once `orphanAge` old, a week: an archive renamed a moment before its row is written is
/// safe, and so, for a week, are the newest backups when PostgreSQL was restored from a dump
/// older than they are; each sweep warns of the archives it keeps that way).
///
/// Archives are known by the backup id in their file name, never by comparing paths, so how
/// `BACKUP_DIR` is spelled does not matter. PostgreSQL is the source of truth: when it cannot be
/// read, or it looks like another directory's (no rows at all, or none for any archive here),
/// nothing is deleted.
package struct StorageJanitor: Sendable {
    let storage: BackupStorage
    let backups: any BackupStore
    let orphanAge: Duration
    let partialAge: Duration
    let logger: Logger

    /// `partialAge` is an hour, or `orphanAge` when that is shorter.
    package init(storage: BackupStorage, backups: any BackupStore, orphanAge: Duration = .seconds(7 * 86_400), partialAge: Duration? = nil, logger: Logger) {
        self.storage = storage
        self.backups = backups
        self.orphanAge = orphanAge
        self.partialAge = partialAge ?? min(orphanAge, .seconds(3600))
        self.logger = logger
    }

    /// The times before which a partial file, and an archive without a row, may go.
    struct Cutoffs: Sendable {
        var partials: Date
        var orphans: Date
    }

    package struct Report: Sendable, Equatable {
        /// Partial files removed (directory), or stale multipart uploads aborted (object store).
        package var partials: Int
        package var orphans: Int
        /// Why nothing was deleted this time, when the rows did not look trustworthy.
        package var heldBack: String?

        package init(partials: Int = 0, orphans: Int = 0, heldBack: String? = nil) {
            self.partials = partials
            self.orphans = orphans
            self.heldBack = heldBack
        }
    }

    /// Reads what must stay from PostgreSQL (throwing, and deleting nothing, when it cannot), then
    /// walks the directory on a thread of its own (a large backup tree would otherwise hold a
    /// cooperative-pool thread for the whole walk).
    @discardableResult
    package func sweep(now: Date = Date()) async throws -> Report {
        let running = Set(try await backups.running().map(\.id))
        let references = try await backups.archiveReferences()
        let oldest = Cutoffs(
            partials: now.addingTimeInterval(-Double(partialAge.components.seconds)), orphans: now.addingTimeInterval(-Double(orphanAge.components.seconds)))
        // With an object store, its prefix is swept first; the directory after it still holds the
        // archives of rows from before the switch (`storage = dir`), under the same rules.
        var objects: Report?
        if let store = storage.objectStore { objects = try await sweepObjects(in: store, running: running, references: references, olderThan: oldest) }
        var report = await BlockingWork.run { [storage, logger] in
            Self.walk(storage: storage, running: running, references: references, olderThan: oldest, logger: logger)
        }
        if let reason = report.heldBack {
            logger.warning("the backup directory was not swept", metadata: ["reason": "\(reason)"])
        } else if report != Report() {
            logger.notice("backup directory swept", metadata: ["partials": "\(report.partials)", "orphans": "\(report.orphans)"])
        }
        if let objects {
            report.partials += objects.partials
            report.orphans += objects.orphans
            report.heldBack = [objects.heldBack, report.heldBack].compactMap { $0 }.joined(separator: "; ").nilIfEmpty
        }
        return report
    }

    private static func walk(
        storage: BackupStorage, running: Set<UUID>, references: (ids: Set<UUID>, fileNames: Set<String>),
        olderThan oldest: Cutoffs, logger: Logger
    ) -> Report {
        guard let root = storage.existingCanonicalRoot(), let walker = FileManager.default.enumerator(atPath: root) else { return Report() }
        var partials: [String] = []
        var orphans: [String] = []
        var archives = 0
        var archivesWithRow = 0
        var kept: [String] = []  // archives without a row, not old enough to go
        while let relative = walker.nextObject() as? String {
            // A symlink is never followed nor deleted: it could lead out of the directory.
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeSymbolicLink {
                walker.skipDescendants()
                continue
            }
            let path = root + "/" + relative
            let name = (relative as NSString).lastPathComponent
            let modified = { (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantFuture }  // unreadable: kept
            if let id = BackupStorage.partialId(ofName: name) {
                // Old too: a backup that started after `running` was read writes its partial now.
                if !running.contains(id), modified() < oldest.partials { partials.append(path) }
            } else if let id = BackupStorage.archiveId(ofName: name) {
                archives += 1
                if references.ids.contains(id) || references.fileNames.contains(name) {
                    archivesWithRow += 1
                    continue
                }
                if modified() < oldest.orphans { orphans.append(path) } else { kept.append(relative) }
            } else if let archive = BackupStorage.archiveName(ofManifest: name), let id = BackupStorage.archiveId(ofName: archive) {
                // A manifest outlives its archive when removing it failed, or a verification
                // finished after the backup was deleted: it goes with the archive's rules.
                if references.ids.contains(id) || references.fileNames.contains(archive) { continue }
                if modified() < oldest.orphans { orphans.append(path) }
            }
        }
        warnOfKept(kept, in: root, logger: logger)
        if references.ids.isEmpty, archives + partials.count > 0 {
            return Report(
                heldBack: "the backups table has no rows, yet \(root) holds \(archives) archive(s) and \(partials.count) partial file(s): "
                    + "the database cannot be this directory's source of truth; nothing was deleted")
        }
        if archives > 0, archivesWithRow == 0 {
            return Report(
                heldBack: "none of the \(archives) archive(s) in \(root) has a backup row: the database does not look like this "
                    + "directory's (check DATABASE_URL and BACKUP_DIR); nothing was deleted")
        }
        var report = Report()
        for path in partials where storage.removeWalkedFile(path, logger: logger) { report.partials += 1 }
        for path in orphans where storage.removeWalkedFile(path, logger: logger) { report.orphans += 1 }
        return report
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension StorageJanitor {
    /// Archives without a row that are not old enough to delete yet: said on every sweep, so an
    /// operator who restored PostgreSQL from an older dump hears of them before they go.
    static func warnOfKept(_ kept: [String], in place: String, logger: Logger) {
        guard let first = kept.min() else { return }
        logger.warning(
            "archives without a backup row are kept until they are old enough to delete (was PostgreSQL restored from an older dump?)",
            metadata: ["count": "\(kept.count)", "first": "\(first)", "place": "\(place)"])
    }
}

import BlockingIO
import Foundation
package import Logging
package import Records

/// What became of a deleted backup's archive.
package enum ArchiveRemoval: Sendable, Equatable {
    case removed
    /// Nothing was there (already gone, or the backup never had an archive).
    case missing
    /// Left in place, and why: outside the backup directory, named by another row, or the file
    /// system refused.
    case kept(String)

    package var fileRemoved: Bool { self == .removed }
}

extension BackupStorage {
    /// The one way a backup's archive is deleted (API and retention), once its row is gone: the
    /// stored path is resolved inside the canonical root (`deletionPath`), and a file another row
    /// still names is left alone.
    @discardableResult
    package func removeArchive(of backup: Backup, backups: any BackupStore, logger: Logger) async -> ArchiveRemoval {
        guard backup.filePath != nil else { return .missing }
        do {
            if let store = try objectStore(for: backup) {
                let removal = await removeObject(of: backup, in: store, backups: backups, logger: logger)
                if case .kept = removal { return removal }
                await removeManifest(at: .object(Self.manifestPath(ofArchive: try objectKey(of: backup, in: store)), store))
                return removal
            }
        } catch {
            logger.warning("not deleting a backup's archive", metadata: ["backup": "\(backup.id)", "reason": "\(error.message)"])
            return .kept(error.message)
        }
        let resolved = await BlockingWork.run { [self] in Result { () throws(ServerJobError) in try deletionPath(of: backup) } }
        let path: String
        switch resolved {
        case .success(let found?): path = found
        case .success(nil): return .missing
        case .failure(let error):
            logger.warning("not deleting a backup's archive", metadata: ["backup": "\(backup.id)", "reason": "\(error.message)"])
            return .kept(error.message)
        }
        if let kept = await Self.namedByAnotherRow(path, of: backup, backups: backups, logger: logger) { return kept }
        let removal = await BlockingWork.run { Self.unlinkFile(path, logger: logger) }
        if case .kept = removal { return removal }
        await removeManifest(at: .file(Self.manifestPath(ofArchive: path)))
        return removal
    }

    /// Deletes a file the janitor found while walking the canonical root, when its directory,
    /// canonical, is still the root or inside it. The name itself is unlinked, not followed.
    package func removeWalkedFile(_ path: String, logger: Logger) -> Bool {
        guard let rootPath = existingCanonicalRoot(),
            let directory = Self.realPath((path as NSString).deletingLastPathComponent),
            directory == rootPath || Self.isInside(directory, root: rootPath)
        else {
            logger.warning("not deleting a file outside the backup directory", metadata: ["path": "\(path)"])
            return false
        }
        return Self.unlinkFile(directory + "/" + (path as NSString).lastPathComponent, logger: logger) == .removed
    }

    private static func unlinkFile(_ path: String, logger: Logger) -> ArchiveRemoval {
        guard unlink(path) != 0 else { return .removed }
        let code = errno
        if code == ENOENT { return .missing }
        let reason = String(cString: strerror(code))
        logger.warning("could not delete an archive", metadata: ["path": "\(path)", "error": "\(reason)"])
        return .kept("could not delete \(path): \(reason)")
    }

    /// `.kept` with the reason when a row other than `backup`'s names the archive `location` (a
    /// path or an object key) ends in, or when that cannot be checked; nil when it may go.
    static func namedByAnotherRow(_ location: String, of backup: Backup, backups: any BackupStore, logger: Logger) async -> ArchiveRemoval? {
        let fileName = (location as NSString).lastPathComponent
        do {
            let others = try await backups.references(toArchiveNamed: fileName, excluding: backup.id)
            guard others == 0 else {
                logger.warning("not deleting an archive another backup row names", metadata: ["backup": "\(backup.id)", "archive": "\(location)"])
                return .kept("\(others) other backup row(s) name \(fileName)")
            }
            return nil
        } catch {
            return .kept("cannot check whether another backup row names \(fileName): \(error.message)")
        }
    }
}

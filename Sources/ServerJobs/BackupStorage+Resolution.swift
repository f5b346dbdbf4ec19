package import Foundation
package import Records

/// From a row's `file_path` to a file on this machine: the one place that decides whether a stored
/// path may be read or deleted.
extension BackupStorage {
    /// What a stored path names: `<server id>/<yyyy>/<mm>/<backup id>.tar.gz`.
    package struct ArchiveName: Sendable, Equatable {
        package var serverId: UUID
        package var backupId: UUID
        /// `<server id>/<yyyy>/<mm>`
        package var directory: String
        /// `<backup id>.tar.gz`
        package var fileName: String
        package var relative: String { directory + "/" + fileName }
    }

    /// Parses a stored path. Relative paths (written since migration 0009) are exactly the
    /// four-part tail. Absolute ones (rows from before, or from a worker of the previous version
    /// during an upgrade) count only by that tail, looked for under *this* root: a moved volume
    /// still works, and a row can never point outside. Anything else (`/etc/passwd`,
    /// `../../etc/passwd`) names no archive.
    package static func archiveName(ofStored stored: String) -> ArchiveName? {
        let parts = stored.split(separator: "/", omittingEmptySubsequences: true).suffix(4).map(String.init)
        guard parts.count == 4, let serverId = UUID(uuidString: parts[0]), let backupId = archiveId(ofName: parts[3]),
            isDigits(parts[1], count: 4), isDigits(parts[2], count: 2)
        else { return nil }
        return ArchiveName(serverId: serverId, backupId: backupId, directory: parts[0...2].joined(separator: "/"), fileName: parts[3])
    }

    /// The canonical path of `backup`'s archive, for reading: it must exist, lie inside the
    /// canonical root with every symlink resolved, and still carry this backup's name.
    package func archivePath(of backup: Backup) throws(ServerJobError) -> String {
        let name = try archiveName(of: backup)
        let rootPath = try canonicalRoot()
        guard let canonical = Self.realPath(rootPath + "/" + name.relative) else {
            throw ServerJobError(.storage, "the archive \(name.relative) is not in the backup directory \(root)", retryable: false)
        }
        guard Self.isInside(canonical, root: rootPath), (canonical as NSString).lastPathComponent == name.fileName else {
            throw ServerJobError(
                .storage, "the archive \(name.relative) resolves to \(canonical), outside the backup directory; refusing it",
                retryable: false)
        }
        return canonical
    }

    /// The path to unlink for `backup`'s archive: its directory made canonical (and inside the
    /// root) plus the file name, which is not followed, so deleting a symlink removes the link,
    /// never what it points at. nil when the directory does not exist (nothing to delete).
    func deletionPath(of backup: Backup) throws(ServerJobError) -> String? {
        let name = try archiveName(of: backup)
        guard let rootPath = existingCanonicalRoot(), let directory = Self.realPath(rootPath + "/" + name.directory) else { return nil }
        guard Self.isInside(directory, root: rootPath) else {
            throw ServerJobError(
                .storage, "the archive's directory \(name.directory) resolves to \(directory), outside the backup directory; refusing it",
                retryable: false)
        }
        return directory + "/" + name.fileName
    }

    /// The stored path's archive name, which must be this backup's own (a row naming another
    /// backup's archive could otherwise delete it).
    func archiveName(of backup: Backup) throws(ServerJobError) -> ArchiveName {
        guard let stored = backup.filePath else {
            throw ServerJobError(.notFound, "backup \(backup.id) has no archive", retryable: false)
        }
        guard let name = Self.archiveName(ofStored: stored) else {
            throw ServerJobError(
                .storage, "backup \(backup.id)'s file path '\(stored.prefix(200))' names no archive of the backup directory; refusing it",
                retryable: false)
        }
        guard name.backupId == backup.id, name.serverId == backup.serverId else {
            throw ServerJobError(
                .storage, "backup \(backup.id)'s file path '\(stored.prefix(200))' names another backup's archive; refusing it",
                retryable: false)
        }
        return name
    }

    /// Whether `path`, made canonical, lies inside the canonical root (false when the root is missing).
    package func contains(_ path: String) -> Bool {
        guard let rootPath = existingCanonicalRoot(), let canonical = Self.canonicalPath(path) else { return false }
        return Self.isInside(canonical, root: rootPath)
    }

    /// Both canonical: `path` is below `root` (not the root itself).
    static func isInside(_ path: String, root: String) -> Bool {
        path != root && path.hasPrefix(root == "/" ? "/" : root + "/")
    }

    /// `realpath(3)`: the path with every symlink, `.` and `..` resolved; nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Like `realpath -m`: component by component, each existing one resolved, missing ones kept
    /// as written (relative paths start at the working directory).
    static func canonicalPath(_ path: String) -> String? {
        guard !path.isEmpty else { return nil }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var current = "/"
        for component in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": current = (current as NSString).deletingLastPathComponent
            default:
                let next = (current == "/" ? "" : current) + "/" + component
                current = realPath(next) ?? next
            }
        }
        return current
    }

    private static func isDigits(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

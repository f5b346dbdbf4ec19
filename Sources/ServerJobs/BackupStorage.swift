import ArchiveFormat
package import Foundation
import Logging
import Records

/// Where archives live: `<root>/<server id>/<yyyy>/<mm>/<backup id>.tar.gz` (`.tar.zst`, `.tar`).
///
/// Rows store the part after the root (`<server id>/<yyyy>/<mm>/<backup id>.tar.gz`), and an
/// archive is known by the backup id in its name, so the same archive is found however
/// `BACKUP_DIR` is spelled (trailing slash, `./`, relative, through a symlink) and after the
/// volume moves. Paths are compared only once canonical (`realpath`: symlinks resolved) against
/// the canonical root; see `BackupStorage+Resolution.swift`.
package struct BackupStorage: Sendable {
    /// `BACKUP_DIR` as configured; never compared as text.
    package let root: String
    /// When set (`BACKUP_STORAGE=s3`), archives live in this object store under
    /// `<prefix><server id>/<yyyy>/<mm>/<backup id>.tar.gz`, reachable from every process;
    /// `root` is then not used for archives. See `BackupStorage+ObjectStore.swift`.
    package let objectStore: ObjectStore?

    package init(root: String, objectStore: ObjectStore? = nil) {
        self.root = root
        self.objectStore = objectStore
    }

    /// Where a new archive goes: `relative` is what the row stores, `absolute` what this process
    /// writes (under the canonical root).
    package struct Location: Sendable, Equatable {
        package var relative: String
        package var absolute: String
    }

    package func location(for backup: BackupRequest, at date: Date = Date()) throws(ServerJobError) -> Location {
        let relative = Self.relativeName(for: backup, at: date)
        return Location(relative: relative, absolute: try canonicalRoot() + "/" + relative)
    }

    /// `<server id>/<yyyy>/<mm>/<backup id>.tar.gz`: made of validated ids and the date only.
    static func relativeName(for backup: BackupRequest, at date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month], from: date)
        let relative =
            backup.serverId.lowercasedString + String(format: "/%04d/%02d/", parts.year ?? 1970, parts.month ?? 1)
            + backup.id.lowercasedString + Self.suffix(backup.compression)
        return relative
    }

    /// The file one attempt writes while streaming (`.<archive>.<attempt>.partial`); renamed to the
    /// final path only on success. Each attempt has its own, so two attempts of one backup that
    /// overlap (a stalled worker and its successor) never write into the same file.
    package func partialPath(for finalPath: String, attempt: String = "") -> String {
        let url = URL(fileURLWithPath: finalPath)
        let tag = String(attempt.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.map(Character.init).suffix(16))
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + (tag.isEmpty ? "" : "." + tag) + ".partial").path
    }

    /// Removes what earlier attempts of this archive left (`.<archive>[.<attempt>].partial`), but
    /// not `keeping`. An attempt that is still writing one of them has lost its job (it is fenced
    /// off at its rename); its writes go to a file no name points at any more.
    package func removeOtherPartials(of finalPath: String, keeping: String) {
        let url = URL(fileURLWithPath: finalPath)
        let directory = url.deletingLastPathComponent().path
        let stem = "." + url.lastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(stem) && name.hasSuffix(".partial") {
            let path = directory + "/" + name
            if path != keeping { unlink(path) }
        }
    }

    /// The root with symlinks resolved, created first when missing.
    package func canonicalRoot() throws(ServerJobError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw ServerJobError(.storage, "cannot create the backup directory \(root): \(error.localizedDescription)", retryable: true)
        }
        guard let canonical = Self.realPath(root) else {
            throw ServerJobError(.storage, "cannot resolve the backup directory \(root): \(String(cString: strerror(errno)))", retryable: true)
        }
        return canonical
    }

    /// The canonical root if it exists (the janitor has nothing to do otherwise).
    package func existingCanonicalRoot() -> String? {
        Self.realPath(root)
    }

    /// Free bytes on the volume holding `root` (created if missing); unlimited for an object store.
    package func availableBytes() throws(ServerJobError) -> Int64 {
        if objectStore != nil { return .max }  // an object store has no free space to read
        let canonical = try canonicalRoot()
        guard let free = Self.freeBytes(at: canonical) else {
            throw ServerJobError(.storage, "cannot read the free space of \(root)", retryable: true)
        }
        return free
    }

    /// Bytes free for us in the volume of `path`; nil when that cannot be read.
    static func freeBytes(at path: String) -> Int64? {
        let attributes = try? FileManager.default.attributesOfFileSystem(forPath: path)
        return (attributes?[.systemFreeSize] as? NSNumber)?.int64Value
    }

    /// `<uuid>.tar`, `.tar.gz` or `.tar.zst`: a name this storage gives archives.
    package static func isArchiveName(_ name: String) -> Bool {
        archiveId(ofName: name) != nil
    }

    /// The backup id an archive's file name carries, if it is a name this storage gives.
    package static func archiveId(ofName name: String) -> UUID? {
        guard let id = UUID(uuidString: String(name.prefix(36))),
            Compression.allCases.contains(where: { String(name.dropFirst(36)) == suffix($0) })
        else { return nil }
        return id
    }

    /// The backup id of a partial file (`.<uuid>.tar.gz.partial`).
    package static func partialId(ofName name: String) -> UUID? {
        guard name.hasPrefix("."), name.hasSuffix(".partial") else { return nil }
        let stem = String(name.dropFirst().dropLast(".partial".count))
        if let id = archiveId(ofName: stem) { return id }
        // With an attempt tag: `<archive>.<tag>`.
        guard let dot = stem.lastIndex(of: ".") else { return nil }
        return archiveId(ofName: String(stem[..<dot]))
    }

    static func suffix(_ compression: Compression) -> String {
        switch compression {
        case .gzip: return ".tar.gz"
        case .zstd: return ".tar.zst"
        case .none: return ".tar"
        }
    }
}

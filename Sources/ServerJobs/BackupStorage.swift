import Foundation
import Logging
import Records

/// Where archives live: `<root>/<server id>/<yyyy>/<mm>/<backup id>.tar.gz` (`.tar.zst`, `.tar`).
public struct BackupStorage: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func finalPath(for backup: BackupRequest, at date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month], from: date)
        let month = String(format: "%02d", parts.month ?? 1)
        return "\(root)/\(backup.serverId.uuidString.lowercased())/\(parts.year ?? 1970)/\(month)/\(backup.id.uuidString.lowercased())\(Self.suffix(backup.compression))"
    }

    /// The file written while streaming; renamed to the final path only on success.
    public func partialPath(for finalPath: String) -> String {
        let url = URL(fileURLWithPath: finalPath)
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".partial").path
    }

    /// Free bytes on the volume holding `root` (created if missing).
    public func availableBytes() throws(ServerJobError) -> Int64 {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let attributes = try FileManager.default.attributesOfFileSystem(forPath: root)
            return (attributes[.systemFreeSize] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw ServerJobError(.storage, "cannot read the free space of \(root): \(error.localizedDescription)", retryable: true)
        }
    }

    /// Deletes an archive, but only inside `root` (a path from the database is not trusted to
    /// point anywhere else). A missing file is fine.
    public func removeArchive(at path: String, logger: Logger) {
        guard contains(path) else {
            logger.warning("not deleting an archive outside the backup directory", metadata: ["path": "\(path)"])
            return
        }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch CocoaError.fileNoSuchFile {
            return
        } catch {
            logger.warning("could not delete an archive", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Whether `path` lies inside `root` once `.` and `..` are resolved.
    public func contains(_ path: String) -> Bool {
        let rootPath = URL(fileURLWithPath: root).standardizedFileURL.path
        return URL(fileURLWithPath: path).standardizedFileURL.path.hasPrefix(rootPath.hasSuffix("/") ? rootPath : rootPath + "/")
    }

    /// `<uuid>.tar`, `.tar.gz` or `.tar.zst`: a name this storage gives archives.
    public static func isArchiveName(_ name: String) -> Bool {
        guard UUID(uuidString: String(name.prefix(36))) != nil else { return false }
        return Compression.allCases.contains { String(name.dropFirst(36)) == suffix($0) }
    }

    static func suffix(_ compression: Compression) -> String {
        switch compression {
        case .gzip: return ".tar.gz"
        case .zstd: return ".tar.zst"
        case .none: return ".tar"
        }
    }
}

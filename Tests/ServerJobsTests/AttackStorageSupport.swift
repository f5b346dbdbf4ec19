import Foundation
import Records
@testable import ServerJobs
import TestSupport
import Testing

/// Real archives for the storage attack tests: written where `BackupRunner` would write them,
/// recorded as completed backups.
extension FlowFixture {
    /// A completed backup whose archive is a real `tar` in `root`. `storedPath` replaces what the
    /// row stores (by default the relative path a backup stores since migration 0009).
    func completedBackupWithArchive(
        server: Server, root: String, compression: Compression = .gzip, scheduleId: UUID? = nil,
        storedPath: ((BackupStorage.Location) -> String)? = nil
    ) async throws -> (backup: Backup, file: String) {
        let record = try await backups.create(
            serverId: server.id, kind: scheduleId == nil ? .manual : .scheduled, paths: ["/etc/hostname"],
            compression: compression, scheduleId: scheduleId)
        let location = try BackupStorage(root: root).location(for: BackupRequest(record))
        try FileManager.default.createDirectory(atPath: (location.absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let source = try temporaryStorage()
        try Data("archived \(record.id)\n".utf8).write(to: URL(fileURLWithPath: source + "/file.txt"))
        let flag = compression == .gzip ? ["--gzip"] : compression == .zstd ? ["--zstd"] : []
        _ = try await ChildProcess.run("/usr/bin/env", ["tar", "--create", "--file=" + location.absolute] + flag + ["-C", source, "."])
        try? FileManager.default.removeItem(atPath: source)
        let size = try FileManager.default.attributesOfItem(atPath: location.absolute)[.size] as? Int64 ?? 0
        let done = try await backups.markCompleted(
            id: record.id, filePath: storedPath?(location) ?? location.relative, size: size,
            sha256: try ArchiveVerifier.sha256(of: location.absolute))
        return (done, location.absolute)
    }
}

/// Sets a file's modification time into the past, so no age guard is what saves it.
func age(_ path: String, hours: Double = 8 * 24) throws {
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-hours * 3600)], ofItemAtPath: path)
}

/// A file no backup row knows, named like an archive, old enough to be an orphan.
func plantOrphan(in directory: String) throws -> String {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/" + UUID().uuidString.lowercased() + ".tar.gz"
    _ = FileManager.default.createFile(atPath: path, contents: Data("orphan".utf8))
    try age(path)
    return path
}

/// `path` (absolute) spelled relative to the working directory, through `..` up to `/`.
func relativeToWorkingDirectory(_ path: String) -> String {
    let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
    return String(repeating: "../", count: depth) + path.drop { $0 == "/" }
}

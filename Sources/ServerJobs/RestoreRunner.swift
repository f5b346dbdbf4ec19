import BlockingIO
import Foundation
import Records
import SSHClient

/// Streams a stored archive back into a directory on a server, after checking its SHA-256. Where
/// it unpacks is decided on the server (`RestoreTarget`); the directory used is returned.
public struct RestoreRunner: Sendable {
    let storage: BackupStorage

    public init(storage: BackupStorage) {
        self.storage = storage
    }

    /// Restores `backup`'s archive, found through the backup directory (never a file outside
    /// it), into `target`, or into a fresh private directory when `target` is nil. Returns the
    /// canonical directory the archive was unpacked into.
    @discardableResult
    public func run(_ backup: Backup, target: String?, allowRoot: Bool = false, on session: SSHSession) async throws(ServerJobError) -> String {
        guard backup.status == .completed, backup.filePath != nil, let sha256 = backup.sha256 else {
            throw ServerJobError(.invalidRequest, "backup \(backup.id) has no completed archive to restore", retryable: false)
        }
        if let store = try storage.objectStore(for: backup) {
            return try await Self.extractObject(of: backup, sha256: sha256, storage: storage, store: store, target: target, allowRoot: allowRoot, on: session)
        }
        let resolved = await BlockingWork.run { [storage] in Result { () throws(ServerJobError) -> String in try storage.archivePath(of: backup) } }
        return try await Self.extract(archive: try resolved.get(), sha256: sha256, compression: backup.compression, target: target,
                                      allowRoot: allowRoot, label: backup.id.uuidString.lowercased(), on: session)
    }

    /// Restores the archive at `localPath` (a file on this machine).
    @discardableResult
    public static func extract(archive localPath: String, sha256: String, compression: Compression, target: String?, allowRoot: Bool = false,
                               label: String = "restore", on session: SSHSession) async throws(ServerJobError) -> String {
        if let target { try ShellArgument.validatePath(target, field: "target") }
        // Hashing a large archive blocks: on a thread of its own, not the cooperative pool.
        guard let actual = await BlockingWork.run({ try? ArchiveVerifier.sha256(of: localPath) }) else {
            throw ServerJobError(.storage, "the archive \(localPath) cannot be read", retryable: false)
        }
        guard actual == sha256 else {
            throw ServerJobError(.storage, "the archive's SHA-256 no longer matches the record; refusing to restore it", retryable: false)
        }
        let directory = try await RestoreTarget.prepare(target: target, allowRoot: allowRoot, label: label, on: session)
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: localPath)) } catch {
            throw ServerJobError(.storage, "cannot open \(localPath): \(error.localizedDescription)", retryable: false)
        }
        let reader = ChunkReader(handle: handle)
        try await unpack(into: directory, compression: compression, on: session) { try reader.next() }
        return directory
    }

    /// Streams `next`'s chunks (called on the SSH session's thread) into `tar --extract` in `directory`.
    static func unpack(into directory: String, compression: Compression, on session: SSHSession,
                       next: @escaping @Sendable () throws -> [UInt8]?) async throws(ServerJobError) {
        let command = try RestoreTarget.extractCommand(directory: directory, compression: compression)
        let result: SSHExecResult
        do {
            result = try await session.perform { session in
                try session.exec(command, options: SSHExecOptions(idleTimeout: .seconds(300)), stdin: next) { _ in }
            }
        } catch let error as ServerJobError {
            throw error
        } catch let error as SSHError {
            throw ServerJobError(.unreachable, "the restore stream broke: \(error.message)", retryable: error.isRetryable)
        } catch {
            throw ServerJobError(.storage, "reading the archive failed: \(error)")
        }
        if let status = result.exitStatus, RestoreTarget.refusals.contains(status) {
            throw ServerJobError(.invalidRequest, "restore target refused: \(result.stderrText.prefix(1000))", retryable: false)
        }
        guard result.exitStatus == 0 else {
            throw ServerJobError(.remoteCommand, "restore failed with status \(result.exitStatus.map(String.init) ?? "?"): \(result.stderrText.prefix(1000))", retryable: false)
        }
    }
}

/// Hands a file to `exec`'s stdin in 256 KiB pieces.
final class ChunkReader: @unchecked Sendable {
    // @unchecked: read only from the SSH session's thread during one exec.
    private let handle: FileHandle
    init(handle: FileHandle) { self.handle = handle }
    func next() throws -> [UInt8]? {
        guard let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty else {
            try? handle.close()
            return nil
        }
        return Array(data)
    }
}

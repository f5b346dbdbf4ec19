import ArchiveFormat
import BlockingIO
import Crypto
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

    /// Restores `chain` (a full backup, then the incrementals up to the one asked for, in order;
    /// or one backup), each archive found through the backup directory (never a file outside it)
    /// and opened with its key from `dataKeys` when sealed, into `target`, or into a fresh private
    /// directory when `target` is nil. Returns the canonical directory the archives went into.
    @discardableResult
    public func run(_ chain: [Backup], dataKeys: [UUID: SymmetricKey] = [:], target: String?, allowRoot: Bool = false,
                    on session: SSHSession) async throws(ServerJobError) -> String {
        guard let last = chain.last else { throw ServerJobError(.invalidRequest, "nothing to restore", retryable: false) }
        var directory: String?
        for backup in chain {
            guard backup.status == .completed, backup.filePath != nil, let sha256 = backup.sha256 else {
                throw ServerJobError(.invalidRequest, "backup \(backup.id) has no completed archive to restore", retryable: false)
            }
            if backup.isEncrypted, dataKeys[backup.id] == nil {
                throw ServerJobError(.invalidRequest, "backup \(backup.id) is encrypted and this process has no key that opens it", retryable: false)
            }
            let resolved = await BlockingWork.run { [storage] in Result { () throws(ServerJobError) -> String in try storage.archivePath(of: backup) } }
            directory = try await Self.extract(archive: try resolved.get(), sha256: sha256, compression: backup.compression,
                                               dataKey: dataKeys[backup.id], incremental: chain.count > 1, target: directory ?? target,
                                               prepared: directory != nil, allowRoot: allowRoot, label: last.id.uuidString.lowercased(), on: session)
        }
        return directory ?? ""
    }

    /// Restores the archive at `localPath` (a file on this machine), decrypting it on the way when
    /// `dataKey` is given. `prepared` says `target` is a directory an earlier archive of the same
    /// chain was unpacked into.
    @discardableResult
    public static func extract(archive localPath: String, sha256: String, compression: Compression, dataKey: SymmetricKey? = nil,
                               incremental: Bool = false, target: String?, prepared: Bool = false, allowRoot: Bool = false,
                               label: String = "restore", on session: SSHSession) async throws(ServerJobError) -> String {
        if let target { try ShellArgument.validatePath(target, field: "target") }
        // Hashing a large archive blocks: on a thread of its own, not the cooperative pool.
        guard let actual = await BlockingWork.run({ try? ArchiveVerifier.sha256(of: localPath) }) else {
            throw ServerJobError(.storage, "the archive \(localPath) cannot be read", retryable: false)
        }
        guard actual == sha256 else {
            throw ServerJobError(.storage, "the archive's SHA-256 no longer matches the record; refusing to restore it", retryable: false)
        }
        let directory: String
        if prepared, let target { directory = target } else {
            directory = try await RestoreTarget.prepare(target: target, allowRoot: allowRoot, label: label, on: session)
        }
        let command = try RestoreTarget.extractCommand(directory: directory, compression: compression, incremental: incremental)
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: localPath)) } catch {
            throw ServerJobError(.storage, "cannot open \(localPath): \(error.localizedDescription)", retryable: false)
        }
        let reader = try ChunkReader(handle: handle, dataKey: dataKey)
        let result: SSHExecResult
        do {
            result = try await session.perform { session in
                try session.exec(command, options: SSHExecOptions(idleTimeout: .seconds(300)), stdin: { try reader.next() }) { _ in }
            }
        } catch let error as SSHError {
            throw ServerJobError(.unreachable, "the restore stream broke: \(error.message)", retryable: error.isRetryable)
        } catch let error as ArchiveFormatError {
            throw ServerJobError(.storage, "the archive does not decrypt: \(error.message); the restore was stopped", retryable: false)
        } catch {
            throw ServerJobError(.storage, "reading the archive failed: \(error)")
        }
        if let status = result.exitStatus, RestoreTarget.refusals.contains(status) {
            throw ServerJobError(.invalidRequest, "restore target refused: \(result.stderrText.prefix(1000))", retryable: false)
        }
        guard result.exitStatus == 0 else {
            throw ServerJobError(.remoteCommand, "restore failed with status \(result.exitStatus.map(String.init) ?? "?"): \(result.stderrText.prefix(1000))", retryable: false)
        }
        return directory
    }
}

/// Hands a file to `exec`'s stdin in 256 KiB pieces, opened on the way when it is sealed: the
/// server only ever receives plaintext that authenticated, and a truncated or altered archive
/// stops the stream with an error.
final class ChunkReader: @unchecked Sendable {
    // @unchecked: read only from the SSH session's thread during one exec.
    private let handle: FileHandle
    private var opener: ArchiveOpener?
    private var finished = false

    init(handle: FileHandle, dataKey: SymmetricKey? = nil) throws(ServerJobError) {
        self.handle = handle
        do { opener = try dataKey.map { try ArchiveOpener(dataKey: $0) } } catch {
            throw ServerJobError(.storage, "the archive's data key is unusable: \(error)", retryable: false)
        }
    }

    func next() throws -> [UInt8]? {
        while !finished {
            guard let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty else {
                try? handle.close()
                finished = true
                guard var opener else { return nil }
                var plain: [UInt8] = []
                try opener.finish { plain.append(contentsOf: $0) }
                return plain.isEmpty ? nil : plain
            }
            guard var opener else { return Array(data) }
            self.opener = nil
            var plain: [UInt8] = []
            try data.withUnsafeBytes { bytes in try opener.open(bytes) { plain.append(contentsOf: $0) } }
            self.opener = opener
            if !plain.isEmpty { return plain }
        }
        return nil
    }
}

import ArchiveFormat
import BlockingIO
import ErrorCodes
package import Crypto
package import Foundation
package import Records
package import SSHClient

/// Streams stored archives back into a directory on a server, after checking their SHA-256. Where
/// they unpack is decided on the server (`RestoreTarget`); the directory used is returned.
package struct RestoreRunner: Sendable {
    let storage: BackupStorage

    package init(storage: BackupStorage) {
        self.storage = storage
    }

    /// Restores `chain` (one backup, or a full backup and the incrementals after it up to the one
    /// asked for, in order), each archive read where its row says (the backup directory, never a
    /// file outside it, or the object store) and opened with its key from `dataKeys` when sealed,
    /// into `target`, or into a fresh private directory when `target` is nil. Returns the canonical
    /// directory the archives were unpacked into. With `paths` (member paths as the file listing
    /// shows them), only those entries are restored, each from the archive of the chain holding
    /// its latest version (`RestoreRunner+Selection.swift`); nothing is deleted. `exactModes` keeps
    /// the archived permission bits instead of applying the SSH user's umask (a drill compares them).
    /// `scratch` says `target` is a fresh directory the platform made for this restore: like a
    /// directory made here, its read-only directories are opened between the archives of a chain.
    @discardableResult
    package func run(
        _ chain: [Backup], dataKeys: [UUID: SymmetricKey] = [:], target: String?, allowRoot: Bool = false,
        paths: [String]? = nil, exactModes: Bool = false, scratch: Bool = false, on session: SSHSession
    ) async throws(ServerJobError) -> String {
        guard let last = chain.last else { throw ServerJobError(.invalidRequest, "nothing to restore", retryable: false) }
        var selection: [[String]]?
        if let paths { selection = try await members(paths, of: chain, dataKeys: dataKeys) }
        var directory: String?
        for (index, backup) in chain.enumerated() {
            if let selection, selection[index].isEmpty { continue }
            guard backup.status == .completed, backup.filePath != nil, let sha256 = backup.sha256 else {
                throw ServerJobError(.invalidRequest, "backup \(backup.id) has no completed archive to restore", retryable: false)
            }
            if backup.isEncrypted, dataKeys[backup.id] == nil {
                throw ServerJobError(.invalidRequest, "backup \(backup.id) is encrypted and this process has no key that opens it", retryable: false)
            }
            let step = RestoreStep(
                sha256: sha256, size: backup.size, compression: backup.compression, dataKey: dataKeys[backup.id],
                incremental: selection == nil && chain.count > 1, members: selection?[index], target: directory ?? target, prepared: directory != nil,
                allowRoot: allowRoot, label: last.id.lowercasedString, exactModes: exactModes,
                ownsDirectory: target == nil || scratch)
            if let store = try storage.objectStore(for: backup) {
                directory = try await Self.extractObject(of: backup, step: step, storage: storage, store: store, on: session)
            } else {
                let archive = try await BlockingWork.run { [storage] () throws(ServerJobError) in try storage.archivePath(of: backup) }
                directory = try await Self.extract(archive: archive, step: step, on: session)
            }
        }
        return directory ?? ""
    }

    /// Restores one plain backup (no chain, not sealed).
    @discardableResult
    package func run(_ backup: Backup, target: String?, allowRoot: Bool = false, on session: SSHSession) async throws(ServerJobError) -> String {
        try await run([backup], target: target, allowRoot: allowRoot, on: session)
    }

    /// Restores the archive at `localPath` (a file on this machine).
    @discardableResult
    package static func extract(
        archive localPath: String, sha256: String, compression: Compression, dataKey: SymmetricKey? = nil,
        target: String?, allowRoot: Bool = false, label: String = "restore", on session: SSHSession
    ) async throws(ServerJobError) -> String {
        try await extract(
            archive: localPath,
            step: RestoreStep(
                sha256: sha256, compression: compression, dataKey: dataKey, incremental: false,
                members: nil, target: target, prepared: false, allowRoot: allowRoot, label: label,
                exactModes: false, ownsDirectory: target == nil), on: session)
    }

    static func extract(archive localPath: String, step: RestoreStep, on session: SSHSession) async throws(ServerJobError) -> String {
        if let target = step.target { try ShellArgument.validatePath(target, field: "target") }
        guard let handle = FileHandle(forReadingAtPath: localPath) else {
            throw ServerJobError(.storage, "the archive \(localPath) cannot be read", retryable: false)
        }
        let source: @Sendable () throws -> [UInt8]? = {
            guard let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty else { return nil }
            return Array(data)
        }
        defer { try? handle.close() }
        return try await restore(
            from: source,
            rewind: { () throws(ServerJobError) in
                do { try handle.seek(toOffset: 0) } catch { throw ServerJobError(.storage, "the archive \(localPath) cannot be read again") }
            }, step: step, on: session)
    }

    /// Checks the stored bytes against the row, then unpacks them. From a private copy made while
    /// hashing (`RestoreSpool`) unless the archive is sealed and `rewind` can read the same file
    /// again: a plain archive has no per-chunk authentication (a swap between check and restore
    /// would unpack), and a second read from an object store could find the object deleted half
    /// way (the target left half restored). A sealed local file is read twice instead, each chunk
    /// authenticated on the way; its open handle outlives a deletion.
    static func restore(
        from source: @escaping @Sendable () throws -> [UInt8]?, rewind: (@Sendable () throws(ServerJobError) -> Void)?,
        step: RestoreStep, on session: SSHSession
    ) async throws(ServerJobError) -> String {
        let mismatch = ServerJobError(.storage, "the archive's SHA-256 no longer matches the record; refusing to restore it", retryable: false)
        // Hashing (and copying) a large archive blocks: on a thread of its own, not the cooperative pool.
        guard step.dataKey != nil, let rewind else {
            let spool = try await BlockingWork.run { () throws(ServerJobError) in try RestoreSpool.make(from: source, expectedBytes: step.size) }
            defer { spool.remove() }
            guard spool.sha256 == step.sha256 else { throw mismatch }
            let directory = try await step.directory(on: session)
            let copy = FileHandle(fileDescriptor: spool.readDescriptor, closeOnDealloc: false)
            let reader = try ChunkReader(dataKey: step.dataKey) {
                guard let data = try copy.read(upToCount: 256 * 1024), !data.isEmpty else { return nil }
                return Array(data)
            }
            try await unpack(into: directory, step: step, on: session) { try reader.next() }
            return directory
        }
        let digest = await BlockingWork.run { () -> String? in
            var hasher = SHA256()
            do { while let chunk = try source() { hasher.update(data: chunk) } } catch { return nil }
            return Hex.encode(hasher.finalize())
        }
        guard let digest else { throw ServerJobError(.storage, "the archive cannot be read", retryable: false) }
        guard digest == step.sha256 else { throw mismatch }
        let directory = try await step.directory(on: session)
        try rewind()
        let reader = try ChunkReader(dataKey: step.dataKey, source: source)
        try await unpack(into: directory, step: step, on: session) { try reader.next() }
        return directory
    }

    /// Streams `next`'s chunks (called on the SSH session's thread) into `tar --extract` in `directory`.
    static func unpack(
        into directory: String, step: RestoreStep, on session: SSHSession,
        next: @escaping @Sendable () throws -> [UInt8]?
    ) async throws(ServerJobError) {
        let command = try RestoreTarget.extractCommand(
            directory: directory, compression: step.compression, incremental: step.incremental,
            afterEarlierArchive: step.prepared && step.ownsDirectory, members: step.members,
            exactModes: step.exactModes)
        let result: SSHExecResult
        do {
            result = try await session.perform { session in
                try session.exec(command, options: SSHExecOptions(idleTimeout: .seconds(300)), stdin: next) { _ in }
            }
        } catch let error as ArchiveFormatError {
            throw ServerJobError(.storage, "the archive does not decrypt: \(error.message); the restore was stopped", retryable: false)
        } catch {
            throw ServerJobError.from(error, doing: "the restore stream", otherwise: .storage)
        }
        if let status = result.exitStatus, RestoreTarget.refusals.contains(status) {
            throw ServerJobError(.invalidRequest, "restore target refused: \(result.stderrText.visiblePrefix(1000))", retryable: false)
        }
        guard result.exitStatus == 0 else {
            throw ServerJobError(.remoteCommand, "restore failed with status \(result.exitStatus.map(String.init) ?? "?"): \(result.stderrText.visiblePrefix(1000))", retryable: false)
        }
    }
}

/// One archive of a restore: how to check, open and unpack it, and where.
struct RestoreStep: Sendable {
    var sha256: String
    /// The archive's size on record, when known: a private copy checks room for it first.
    var size: Int64? = nil
    var compression: Compression
    var dataKey: SymmetricKey?
    /// Replays an archive of a chain (`--listed-incremental`), so deletions are applied too.
    var incremental: Bool
    /// Only these entries (a selective restore); nil for the whole archive.
    var members: [String]?
    var target: String?
    /// `target` is the directory an earlier archive of the same chain was unpacked into.
    var prepared: Bool
    var allowRoot: Bool
    var label: String
    var exactModes: Bool
    /// The directory was made for this restore (never an operator's target, whose modes stay as
    /// they are).
    var ownsDirectory: Bool

    func directory(on session: SSHSession) async throws(ServerJobError) -> String {
        if prepared, let target { return target }
        return try await RestoreTarget.prepare(target: target, allowRoot: allowRoot, label: label, on: session)
    }
}

/// Hands stored bytes to `exec`'s stdin, opened on the way when the archive is sealed: the server
/// only ever receives plaintext that authenticated, and a truncated or altered archive stops the
/// stream with an error.
final class ChunkReader: @unchecked Sendable {
    // @unchecked: read only from the SSH session's thread during one exec.
    private let source: () throws -> [UInt8]?
    private var opener: ArchiveOpener?
    private var finished = false

    init(dataKey: SymmetricKey?, source: @escaping () throws -> [UInt8]?) throws(ServerJobError) {
        self.source = source
        do { opener = try dataKey.map { try ArchiveOpener(dataKey: $0) } } catch {
            throw ServerJobError(.storage, "the archive's data key is unusable: \(error)", retryable: false)
        }
    }

    func next() throws -> [UInt8]? {
        while !finished {
            guard let stored = try source() else {
                finished = true
                guard var opener else { return nil }
                var plain: [UInt8] = []
                try opener.finish { plain.append(contentsOf: $0) }
                return plain.isEmpty ? nil : plain
            }
            guard var opener else { return stored }
            self.opener = nil
            var plain: [UInt8] = []
            try stored.withUnsafeBytes { bytes in try opener.open(bytes) { plain.append(contentsOf: $0) } }
            self.opener = opener
            if !plain.isEmpty { return plain }
        }
        return nil
    }
}

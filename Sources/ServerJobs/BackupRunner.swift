package import Crypto
import ErrorCodes
package import Foundation
import BlockingIO
import JobQueue
package import Logging
package import Records
import RedisClient
package import SSHClient
import Synchronization

/// What a finished backup stream produced.
package struct BackupOutcome: Sendable, Equatable {
    /// What the row stores: the archive's path relative to `BACKUP_DIR`.
    package var storedPath: String
    /// The archive on this machine (under the canonical root).
    package var localPath: String
    package var size: Int64
    package var sha256: String
    /// Set when tar reported files that changed while read (exit 1).
    package var warning: String?
    /// The object's key when the archive went to an object store (`localPath` is then empty).
    package var objectKey: String?
    /// Most archive bytes held in memory at once while uploading to an object store.
    package var peakBufferedBytes: Int?
    /// GNU tar's incremental state after this run, when the request carried one.
    package var tarSnapshot: [UInt8]? = nil
}

/// What to back up: taken from the backup record.
package struct BackupRequest: Sendable, Equatable {
    package var id: UUID
    package var serverId: UUID
    package var paths: [String]
    package var exclusions: [String]
    package var compression: Compression
    /// Seals the archive as it streams (AES-256-GCM chunks); nil stores it plain.
    package var dataKey: SymmetricKey?
    /// GNU tar `--listed-incremental` state to start from: empty for a full backup that starts a
    /// chain, the base's snapshot for an incremental; nil runs plain `tar` (no chain).
    package var tarSnapshot: [UInt8]?

    package init(
        id: UUID, serverId: UUID, paths: [String], exclusions: [String] = [], compression: Compression = .gzip,
        dataKey: SymmetricKey? = nil, tarSnapshot: [UInt8]? = nil
    ) {
        self.id = id
        self.serverId = serverId
        self.paths = paths
        self.exclusions = exclusions
        self.compression = compression
        self.dataKey = dataKey
        self.tarSnapshot = tarSnapshot
    }

    package init(_ backup: Backup) {
        self.init(id: backup.id, serverId: backup.serverId, paths: backup.paths, exclusions: backup.exclusions, compression: backup.compression)
    }
}

/// Streams `tar` of a server's paths over SSH into local storage, hashing as it writes.
package struct BackupRunner: Sendable {
    let storage: BackupStorage
    let logger: Logger
    /// Space the archive must leave free on the backup volume while it streams.
    let reservedFreeBytes: Int64
    /// Longest the transfer may run (`BACKUP_TIMEOUT_HOURS`).
    let timeout: Duration

    package init(storage: BackupStorage, logger: Logger, reservedFreeBytes: Int64 = 64 << 20, timeout: Duration = .seconds(24 * 3600)) {
        self.storage = storage
        self.logger = logger
        self.reservedFreeBytes = reservedFreeBytes
        self.timeout = timeout
    }

    /// The remote command: a fixed template, every path and pattern quoted.
    static func tarCommand(paths: [String], exclusions: [String], compression: Compression, listedIncremental: String? = nil) throws(ServerJobError) -> String {
        guard !paths.isEmpty else { throw ServerJobError(.invalidRequest, "a backup needs at least one path") }
        for path in paths { try ShellArgument.validatePath(path, field: "path") }
        for pattern in exclusions { try ShellArgument.validateText(pattern, field: "exclusion") }
        // The server's TAR_OPTIONS would change the format (sparse members, global headers) the
        // file list is read from: GNU format, as the reader expects, whatever it says.
        var words = ["env", "-u", "TAR_OPTIONS", "tar", "--format=gnu", "--create", "--file=-", "--ignore-failed-read"]
        if let listedIncremental { words.append(ShellArgument.quote("--listed-incremental=" + listedIncremental)) }
        switch compression {
        case .gzip: words.append("--gzip")
        case .zstd: words.append("--zstd")
        case .none: break
        }
        words += exclusions.map { ShellArgument.quote("--exclude=" + $0) }
        words.append("--")
        words += paths.map(ShellArgument.quote)
        return words.joined(separator: " ")
    }

    /// Streams the archive to this attempt's partial file, renames it on success and removes it on
    /// failure. `progress` is called about once a second with the bytes received so far; `fence`
    /// runs just before the rename and throws when the attempt no longer owns its job, so an
    /// attempt that was taken over never replaces its successor's archive.
    package func run(
        _ backup: BackupRequest, on session: SSHSession, attempt: String = "", fence: @escaping @Sendable () async throws -> Void = {},
        progress: @escaping @Sendable (Int64) async -> Void
    ) async throws(ServerJobError) -> BackupOutcome {
        // Checked before anything is uploaded; the command run carries the snapshot's path.
        _ = try Self.tarCommand(paths: backup.paths, exclusions: backup.exclusions, compression: backup.compression)
        if backup.compression == .zstd {
            let probe = try? await session.run("command -v zstd", timeout: .seconds(15))
            guard probe?.exitStatus == 0 else {
                throw ServerJobError(.invalidRequest, "zstd compression was asked for but zstd is not installed on the server", retryable: false)
            }
        }
        if let store = storage.objectStore {
            return try await runToObjectStore(backup, store: store, session: session, fence: fence, progress: progress)
        }
        let received = ByteCounter()
        var partialPath: String?
        do {
            // Still this job's before removing what other attempts left.
            try await fence()
            let stored = try await Self.reportingProgress(received, to: progress) {
                try await session.perform { [storage, reservedFreeBytes, timeout] session in
                    let watch = FreeSpaceWatch(storage: storage, reserve: reservedFreeBytes)
                    return try Self.streamIntoFile(backup, storage: storage, watch: watch, timeout: timeout, attempt: attempt, on: session) { received.add($0) }
                }
            }
            partialPath = stored.partialPath
            try await fence()
            // Right after the fence, on the session's idle thread (which refuses a cancelled task),
            // never queued behind other blocking work.
            try await session.perform { _ in try ArchiveFile.rename(stored.partialPath, to: stored.location.absolute) }
            await progress(received.value)
            return BackupOutcome(
                storedPath: stored.location.relative, localPath: stored.location.absolute, size: stored.archive.storedBytes,
                sha256: stored.archive.sha256, warning: stored.warning, tarSnapshot: stored.archive.tarSnapshot)
        } catch {
            // A partial the stream left closed (the fence or the rename failed); the stream removes its own.
            if let partialPath { await BlockingWork.run { ArchiveFile.remove(partialPath) } }
            throw Self.classify(error)
        }
    }

    /// An archive streamed into its partial file: synced and closed, to be renamed into place.
    struct StoredPartial: Sendable {
        var location: BackupStorage.Location
        var partialPath: String
        var archive: StreamedArchive
        var warning: String?
    }

    /// Streams `backup` into its attempt's partial file. The file lives on the session's thread
    /// (made, synced and closed here, written by the stream's writer thread in between) and is
    /// removed here when anything fails, so no blocking file call runs on the cooperative pool.
    static func streamIntoFile(
        _ backup: BackupRequest, storage: BackupStorage, watch: FreeSpaceWatch, timeout: Duration, attempt: String, on session: isolated SSHSession,
        received: (Int) -> Void
    ) throws -> StoredPartial {
        let location = try storage.location(for: backup)
        let partialPath = storage.partialPath(for: location.absolute, attempt: attempt)
        if Task.isCancelled { throw CancellationError() }
        storage.removeOtherPartials(of: location.absolute, keeping: partialPath)
        let file = try ArchiveFile(creating: partialPath)
        do {
            var watch = watch
            let archive = try stream(backup, timeout: timeout, on: session, received: received) { bytes in
                try file.write(bytes)
                try watch.wrote(bytes.count)
            }
            let warning = try judge(archive.result)
            try file.finish()
            return StoredPartial(location: location, partialPath: partialPath, archive: archive, warning: warning)
        } catch {
            file.discard()
            throw error
        }
    }

    /// A failure of the stream, the storage or the fence as the job's error.
    static func classify(_ error: any Error) -> ServerJobError {
        switch error {
        case let error as ServerJobError: return error
        case let error as UnrecoverableError:  // the fence: this attempt lost its job
            return ServerJobError(.cancelled, error.message, retryable: false)
        case let error as SSHError where error.code == .commandTimedOut:  // the backup's own limit: a retry would run as long
            return ServerJobError(.unreachable, "the backup ran longer than BACKUP_TIMEOUT_HOURS allows and was stopped: \(error.message)", retryable: false)
        case let error as SSHError where error.code == .cancelled:
            return ServerJobError(.cancelled, "the backup was cancelled; its partial archive was removed", retryable: false)
        case let error as SSHError: return ServerJobError(.unreachable, "the backup stream broke: \(error.message)", retryable: error.isRetryable)
        case is CancellationError: return ServerJobError(.cancelled, "the backup was cancelled; its partial archive was removed", retryable: false)
        case let error as RedisError:  // the fence could not read the job's lock
            return ServerJobError(.unreachable, "could not check the job's lock before storing the archive: \(error.message)", retryable: error.isRetryable)
        default: return ServerJobError(.storage, "writing the archive failed: \(error)")
        }
    }

    /// Runs `body` while a child task calls `progress` with the bytes received about once a
    /// second: the stream runs on the SSH session's thread and must not wait for the call.
    static func reportingProgress<Result: Sendable>(
        _ received: ByteCounter, to progress: @escaping @Sendable (Int64) async -> Void, during body: () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { break }
                    await progress(received.value)
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// tar: 0 fine, 1 "file changed as we read it" (a warning), anything else a failure.
    static func judge(_ result: SSHExecResult) throws(ServerJobError) -> String? {
        let stderr = result.stderrText.split(separator: "\n").filter { !$0.contains("Removing leading") }.joined(separator: "\n")
        switch result.exitStatus {
        case 0:
            // --ignore-failed-read keeps going past unreadable files; they are worth a warning.
            return stderr.isEmpty ? nil : "tar skipped what it could not read: \(stderr.visiblePrefix(500))"
        case 1: return "tar: some files changed while they were read: \(stderr.visiblePrefix(500))"
        case let status?:
            let denied = stderr.contains("Permission denied")
            throw ServerJobError(.remoteCommand, "tar exited with status \(status): \(stderr.visiblePrefix(1000))", retryable: !denied && status != 2)
        case nil:
            throw ServerJobError(.remoteCommand, "tar ended without an exit status (signal \(result.exitSignal ?? "?")): \(stderr.visiblePrefix(500))", retryable: true)
        }
    }
}

/// Bytes received so far, written by the SSH session's thread and read by the progress reporter.
final class ByteCounter: Sendable {
    private let count = Atomic<Int64>(0)
    var value: Int64 { count.load(ordering: .relaxed) }
    func add(_ bytes: Int) { count.add(Int64(bytes), ordering: .relaxed) }
}

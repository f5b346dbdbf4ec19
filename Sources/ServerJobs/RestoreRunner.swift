import BlockingIO
import Foundation
import Records
import SSHClient

/// Streams a stored archive back into a directory on a server, after checking its SHA-256.
public struct RestoreRunner: Sendable {
    public init() {}

    /// The default target: a fresh directory, never over `/` unless asked for explicitly.
    public static func defaultTarget(backupId: UUID) -> String {
        "/var/tmp/medicineman-restore/\(backupId.uuidString.lowercased())"
    }

    static func extractCommand(target: String, compression: Compression) throws(ServerJobError) -> String {
        try ShellArgument.validatePath(target, field: "target")
        var tar = ["tar", "--extract", "--file=-", "--no-same-owner"]
        switch compression {
        case .gzip: tar.append("--gzip")
        case .zstd: tar.append("--zstd")
        case .none: break
        }
        tar += ["--directory", ShellArgument.quote(target)]
        return "mkdir -p -- \(ShellArgument.quote(target)) && " + tar.joined(separator: " ")
    }

    public func run(_ backup: Backup, target: String, allowRoot: Bool = false, on session: SSHSession) async throws(ServerJobError) {
        guard let filePath = backup.filePath, let sha256 = backup.sha256, backup.status == .completed else {
            throw ServerJobError(.invalidRequest, "backup \(backup.id) has no completed archive to restore", retryable: false)
        }
        try await run(archive: filePath, sha256: sha256, compression: backup.compression, target: target, allowRoot: allowRoot, on: session)
    }

    public func run(archive filePath: String, sha256: String, compression: Compression, target: String, allowRoot: Bool = false,
                    on session: SSHSession) async throws(ServerJobError) {
        let normalized = URL(fileURLWithPath: target).standardized.path
        guard allowRoot || normalized != "/" else {
            throw ServerJobError(.invalidRequest, "restoring over / must be asked for explicitly", retryable: false)
        }
        // Hashing a large archive blocks: on a thread of its own, not the cooperative pool.
        guard let actual = await BlockingWork.run({ try? ArchiveVerifier.sha256(of: filePath) }) else {
            throw ServerJobError(.storage, "the archive \(filePath) cannot be read", retryable: false)
        }
        guard actual == sha256 else {
            throw ServerJobError(.storage, "the archive's SHA-256 no longer matches the record; refusing to restore it", retryable: false)
        }
        let command = try Self.extractCommand(target: normalized, compression: compression)
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: filePath)) } catch {
            throw ServerJobError(.storage, "cannot open \(filePath): \(error.localizedDescription)", retryable: false)
        }
        let reader = ChunkReader(handle: handle)
        let result: SSHExecResult
        do {
            result = try await session.perform { session in
                try session.exec(command, options: SSHExecOptions(idleTimeout: .seconds(300)), stdin: { try reader.next() }) { _ in }
            }
        } catch let error as SSHError {
            throw ServerJobError(.unreachable, "the restore stream broke: \(error.message)", retryable: error.isRetryable)
        } catch {
            throw ServerJobError(.storage, "reading the archive failed: \(error)")
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

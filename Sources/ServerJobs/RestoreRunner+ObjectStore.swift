import BlockingIO
import Crypto
import Foundation
import Records
import SSHClient

extension RestoreRunner {
    /// Restores from the object store: one ranged read hashes the object (nothing is unpacked
    /// unless it is the recorded archive), a second streams it into tar on the server. Neither
    /// keeps a local copy; each holds at most two ranges.
    static func extractObject(of backup: Backup, step: RestoreStep, storage: BackupStorage, store: ObjectStore,
                              on session: SSHSession) async throws(ServerJobError) -> String {
        if let target = step.target { try ShellArgument.validatePath(target, field: "target") }
        let sha256 = step.sha256
        let hashing = try await storage.objectReader(of: backup, in: store)
        let digest = await BlockingWork.run { () -> Result<String, ServerJobError> in
            var hasher = SHA256()
            do {
                while let chunk = try hashing.next() { hasher.update(data: chunk) }
            } catch {
                hashing.cancel()
                return .failure(error as? ServerJobError ?? ServerJobError(.storage, "reading the archive failed: \(error)"))
            }
            return .success(hasher.finalize().map { String(format: "%02x", $0) }.joined())
        }
        guard try digest.get() == sha256 else {
            throw ServerJobError(.storage, "the archive's SHA-256 no longer matches the record; refusing to restore it", retryable: false)
        }
        let directory = try await step.directory(on: session)
        let reader = try await storage.objectReader(of: backup, in: store)
        defer { reader.cancel() }
        // Hashed again as it streams: an object replaced between the two reads is reported.
        let streamed = StreamHash()
        let chunks = try ChunkReader(dataKey: step.dataKey) {
            let chunk = try reader.next()
            streamed.update(chunk)
            return chunk
        }
        try await unpack(into: directory, step: step, on: session) { try chunks.next() }
        guard streamed.hex() == sha256 else {
            throw ServerJobError(.storage, "the archive changed in the object store while it was restored into \(directory); restore it again",
                                 retryable: false)
        }
        return directory
    }
}

/// SHA-256 fed from the SSH session's thread during one restore.
final class StreamHash: @unchecked Sendable {
    // @unchecked: updated only from the SSH session's thread, read after the command ended.
    private var hasher = SHA256()
    func update(_ chunk: [UInt8]?) { if let chunk { hasher.update(data: chunk) } }
    func hex() -> String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}

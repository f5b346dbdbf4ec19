import BlockingIO
import Crypto
import Foundation
import Records
import SSHClient
import Synchronization

extension RestoreRunner {
    /// Restores from the object store through ranged reads (`restore(from:)`: a plain archive via a
    /// private copy, a sealed one streamed twice, hashed then authenticated).
    static func extractObject(
        of backup: Backup, step: RestoreStep, storage: BackupStorage, store: ObjectStore,
        on session: SSHSession
    ) async throws(ServerJobError) -> String {
        if let target = step.target { try ShellArgument.validatePath(target, field: "target") }
        let first = try await storage.objectReader(of: backup, in: store)
        let second = Mutex<ObjectRangeReader?>(nil)
        defer {
            first.cancel()
            second.withLock { $0?.cancel() }
        }
        return try await restore(
            from: { try first.next() },
            reopen: { () throws(ServerJobError) in
                let reader = try await storage.objectReader(of: backup, in: store)
                second.withLock { $0 = reader }
                return { try reader.next() }
            }, step: step, on: session)
    }
}

/// SHA-256 fed from the SSH session's thread during one restore.
final class StreamHash: @unchecked Sendable {
    // @unchecked: updated only from the SSH session's thread, read after the command ended.
    private var hasher = SHA256()
    func update(_ chunk: [UInt8]?) { if let chunk { hasher.update(data: chunk) } }
    func hex() -> String { Hex.encode(hasher.finalize()) }
}

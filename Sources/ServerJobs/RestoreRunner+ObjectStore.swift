import Crypto
import Foundation
import Records
import SSHClient

extension RestoreRunner {
    /// Restores from the object store through ranged reads, read once into a private copy
    /// (`restore(from:rewind:)`): the object may be deleted once read, never half way through.
    static func extractObject(
        of backup: Backup, step: RestoreStep, storage: BackupStorage, store: ObjectStore,
        on session: SSHSession
    ) async throws(ServerJobError) -> String {
        if let target = step.target { try ShellArgument.validatePath(target, field: "target") }
        let reader = try await storage.objectReader(of: backup, in: store)
        defer { reader.cancel() }
        return try await restore(from: { try reader.next() }, rewind: nil, step: step, on: session)
    }
}

/// SHA-256 fed from the SSH session's thread during one restore.
final class StreamHash: @unchecked Sendable {
    // @unchecked: updated only from the SSH session's thread, read after the command ended.
    private var hasher = SHA256()
    func update(_ chunk: [UInt8]?) { if let chunk { hasher.update(data: chunk) } }
    func hex() -> String { Hex.encode(hasher.finalize()) }
}

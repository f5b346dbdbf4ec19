import Crypto
import Foundation
import HTTPTypes
import Records
import ServerJobs

extension DomainDependencies {
    /// The key that opens `backup`'s archive (nil for a plain one); a sealed archive this process
    /// cannot open is a clear 409, never an attempt to read ciphertext as tar.
    func dataKey(for backup: Backup) async throws -> SymmetricKey? {
        guard backup.isEncrypted else { return nil }
        guard let archiveKeys else {
            throw APIError(.conflict, code: "archive_sealed", "backup \(backup.id.lowercasedString) is encrypted and this process has no ENCRYPTION_KEY to open it")
        }
        return try await archiveKeys.dataKey(for: backup, in: backups)
    }
}

extension DomainDependencies {
    /// A server a request names in `field` must exist (400 naming the field otherwise).
    func requireServer(_ id: UUID, field: String) async throws {
        guard try await servers.find(id: id) != nil else { throw APIError.validation(field, "\(field): no server has id \(id.lowercasedString)") }
    }
}

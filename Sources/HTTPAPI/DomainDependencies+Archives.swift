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

package import Crypto
package import Foundation
package import Records

/// Seals new archives' data keys under `ENCRYPTION_KEY` (when encryption at rest is on) and opens
/// stored ones for verify and restore. The data key is fresh per archive and never leaves memory
/// unsealed; only its sealed form and the key's public id reach the row.
package struct ArchiveKeys: Sendable {
    package let vault: CredentialVault
    /// `ENCRYPT_BACKUPS` when set; otherwise the `encrypt_backups` platform setting (on for new
    /// installs) decides, read for each backup. Stored sealed archives open either way.
    let sealNewArchives: Bool?
    let settings: PlatformSettingsRepository?

    package init(vault: CredentialVault, sealNewArchives: Bool?, settings: PlatformSettingsRepository?) {
        self.vault = vault
        self.sealNewArchives = sealNewArchives
        self.settings = settings
    }

    /// A fresh data key for a new archive and its sealed form, or nil when archives are stored plain.
    package func newDataKey(for backupId: UUID) async throws(RecordError) -> (key: SymmetricKey, sealed: SealedCredential)? {
        guard try await sealsNewArchives() else { return nil }
        let key = SymmetricKey(size: .bits256)
        return (key, try vault.sealArchiveKey(key, backupId: backupId))
    }

    package func sealsNewArchives() async throws(RecordError) -> Bool {
        if let sealNewArchives { return sealNewArchives }
        return try await settings?.bool("encrypt_backups") ?? false
    }

    /// The key that opens `backup`'s archive; nil for a plain archive.
    package func dataKey(for backup: Backup, in backups: BackupRepository) async throws(RecordError) -> SymmetricKey? {
        guard backup.isEncrypted else { return nil }
        guard let sealed = try await backups.sealedDataKey(id: backup.id) else {
            throw RecordError(.invalid, field: "backup", "backup \(backup.id.lowercasedString) is encrypted but its data key is missing")
        }
        return try vault.openArchiveKey(sealed, backupId: backup.id)
    }
}

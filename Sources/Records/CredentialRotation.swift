import Foundation
import PostgresClient

/// Re-encrypts every server credential, webhook secret and archive data key under a new key, in
/// one transaction: either all of them move to the new key or none does. Archives themselves are
/// not rewritten: only their sealed data keys change.
public struct CredentialRotation: Sendable {
    let database: PostgresPool
    let vault: CredentialVault

    public init(database: PostgresPool, vault: CredentialVault) {
        self.database = database
        self.vault = vault
    }

    /// Returns how many credentials and secrets were re-encrypted. `vault` must open the current ones.
    public func rotate(to newKey: EncryptionKey) async throws(RecordError) -> Int {
        let target = CredentialVault(current: newKey)
        let vault = self.vault
        return try await recording {
            try await database.withTransaction { db in
                let rows = try db.query("SELECT id, credential_ciphertext, credential_key_id FROM servers ORDER BY id FOR UPDATE").rows
                for row in rows {
                    let id: UUID = try row.decode("id")
                    let sealed = SealedCredential(ciphertext: try row.decode("credential_ciphertext"), keyId: try row.decode("credential_key_id"))
                    let resealed = try target.seal(try vault.open(sealed, serverId: id), serverId: id)
                    try db.query("UPDATE servers SET credential_ciphertext = $2, credential_key_id = $3, updated_at = now() WHERE id = $1",
                                 [id, resealed.ciphertext, resealed.keyId])
                }
                let webhooks = try db.query("SELECT id, secret_ciphertext, secret_key_id FROM webhooks ORDER BY id FOR UPDATE").rows
                for row in webhooks {
                    let id: UUID = try row.decode("id")
                    let sealed = SealedCredential(ciphertext: try row.decode("secret_ciphertext"), keyId: try row.decode("secret_key_id"))
                    let resealed = try target.sealWebhookSecret(try vault.openWebhookSecret(sealed, webhookId: id), webhookId: id)
                    try db.query("UPDATE webhooks SET secret_ciphertext = $2, secret_key_id = $3, updated_at = now() WHERE id = $1",
                                 [id, resealed.ciphertext, resealed.keyId])
                }
                let archives = try db.query(
                    "SELECT id, data_key_ciphertext, data_key_key_id FROM backups WHERE data_key_ciphertext IS NOT NULL ORDER BY id FOR UPDATE").rows
                for row in archives {
                    let id: UUID = try row.decode("id")
                    let sealed = SealedCredential(ciphertext: try row.decode("data_key_ciphertext"), keyId: try row.decode("data_key_key_id"))
                    let resealed = try target.sealArchiveKey(try vault.openArchiveKey(sealed, backupId: id), backupId: id)
                    try db.query("UPDATE backups SET data_key_ciphertext = $2, data_key_key_id = $3, updated_at = now() WHERE id = $1",
                                 [id, resealed.ciphertext, resealed.keyId])
                }
                return rows.count + webhooks.count + archives.count
            }
        }
    }
}

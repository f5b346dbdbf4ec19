import Foundation
public import PostgresClient

/// Re-encrypts every server credential, webhook secret and URL and archive data key under a new key, in
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
                let servers = try Self.reseal(table: "servers", column: "credential", in: db, to: newKey.id) { id, sealed in
                    try target.seal(try vault.open(sealed, serverId: id), serverId: id)
                }
                let webhooks = try Self.reseal(table: "webhooks", column: "secret", in: db, to: newKey.id) { id, sealed in
                    try target.sealWebhookSecret(try vault.openWebhookSecret(sealed, webhookId: id), webhookId: id)
                }
                // Plain URLs first: a row another process sealed meanwhile (under the old key) is
                // then seen, locked and resealed below.
                let plainURLs = try WebhookRepository.sealPlainURLs(in: db, vault: target).sealed.count
                let urls = try Self.reseal(table: "webhooks", column: "url", in: db, to: newKey.id) { id, sealed in
                    try target.sealWebhookURL(try vault.openWebhookURL(sealed, webhookId: id), webhookId: id)
                }
                let archives = try Self.reseal(table: "backups", column: "data_key", in: db, to: newKey.id) { id, sealed in
                    try target.sealArchiveKey(try vault.openArchiveKey(sealed, backupId: id), backupId: id)
                }
                return servers + webhooks + plainURLs + urls + archives
            }
        }
    }

    /// Opens and seals again every `<column>_ciphertext`/`<column>_key_id` pair of `table` not yet
    /// under `keyId`, locking the rows; returns how many. So running the rotation again to
    /// the same key moves only what processes still on the old key sealed meanwhile. `table` and
    /// `column` are fixed names, never input.
    private static func reseal(
        table: String, column: String, in db: isolated PostgresConnection, to keyId: String,
        _ reseal: (UUID, SealedCredential) throws -> SealedCredential
    ) throws -> Int {
        let rows = try db.query(
            """
            SELECT id, \(column)_ciphertext, \(column)_key_id FROM \(table)
            WHERE \(column)_ciphertext IS NOT NULL AND \(column)_key_id <> $1 ORDER BY id FOR UPDATE
            """, [keyId]
        ).rows
        for row in rows {
            let id: UUID = try row.decode("id")
            let sealed = SealedCredential(ciphertext: try row.decode("\(column)_ciphertext"), keyId: try row.decode("\(column)_key_id"))
            let resealed = try reseal(id, sealed)
            try db.query(
                "UPDATE \(table) SET \(column)_ciphertext = $2, \(column)_key_id = $3, updated_at = now() WHERE id = $1",
                [id, resealed.ciphertext, resealed.keyId])
        }
        return rows.count
    }
}

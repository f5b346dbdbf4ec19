public import Foundation
import PostgresClient

/// Incremental chains and sealed data keys.
extension BackupRepository {
    /// Where the next incremental of these paths continues: the newest completed backup of the
    /// same server, paths, exclusions and compression whose archive did not fail verification and
    /// whose tar snapshot is stored. nil means the chain is broken or absent: back up in full.
    public func chainHead(serverId: UUID, paths: [String], exclusions: [String], compression: Compression) async throws(RecordError) -> (backup: Backup, snapshot: [UInt8])? {
        try await recording {
            guard
                let row = try await database.query(
                    """
                    SELECT \(Backup.columns), tar_snapshot FROM backups
                    WHERE server_id = $1 AND paths = $2 AND exclusions = $3 AND compression = $4 AND status = 'completed'
                        AND verification <> 'failed' AND tar_snapshot IS NOT NULL AND file_path IS NOT NULL
                    ORDER BY completed_at DESC, id LIMIT 1
                    """, [serverId, paths, exclusions, compression.rawValue]
                ).first
            else { return nil }
            return (try Backup(row: row), try row.decode("tar_snapshot", as: PostgresBytes.self).bytes)
        }
    }

    /// The sealed data key of an encrypted archive; nil for a plain one.
    public func sealedDataKey(id: UUID) async throws(RecordError) -> SealedCredential? {
        try await recording {
            guard let row = try await database.query("SELECT data_key_ciphertext, data_key_key_id FROM backups WHERE id = $1", [id]).first,
                let ciphertext: String = try row.decodeIfPresent("data_key_ciphertext"),
                let keyId: String = try row.decodeIfPresent("data_key_key_id")
            else { return nil }
            return SealedCredential(ciphertext: ciphertext, keyId: keyId)
        }
    }

    /// The chain a restore applies, full backup first, ending with `id`. Throws when a link is
    /// missing or not completed: such a chain cannot be restored.
    public func chain(endingAt id: UUID) async throws(RecordError) -> [Backup] {
        var chain: [Backup] = []
        var next: UUID? = id
        while let current = next {
            guard chain.count <= 10_000 else { throw RecordError(.invalid, field: "backup", "the backup chain of \(id) does not end") }
            guard let backup = try await find(id: current), backup.status == .completed else {
                throw RecordError(.conflict, field: "backup", "backup \(current.lowercasedString) in the chain of \(id.lowercasedString) is missing or not completed; the chain cannot be restored")
            }
            chain.append(backup)
            next = backup.baseBackupId
        }
        return chain.reversed()
    }

    /// Backups that build on `id` directly.
    public func dependents(of id: UUID) async throws(RecordError) -> [UUID] {
        try await recording {
            try await database.query("SELECT id FROM backups WHERE base_backup_id = $1 ORDER BY created_at", [id]).rows.map { try $0.decode("id", as: UUID.self) }
        }
    }
}

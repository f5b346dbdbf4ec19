public import Foundation
public import JSONSupport
public import PostgresClient

public struct BackupRepository: JobRecordRepository {
    let database: PostgresPool
    public var records: RecordTable<Backup> { RecordTable("backups", hasSchedules: true, database: database) }

    public init(database: PostgresPool) {
        self.database = database
    }

    public func create(
        id: UUID = UUID(), serverId: UUID, kind: BackupKind, paths: [String], exclusions: [String] = [],
        compression: Compression = .gzip, scheduleId: UUID? = nil, jobId: String? = nil,
        metadata: JSONValue = .object([:])
    ) async throws(RecordError) -> Backup {
        try await recording {
            let row = try await database.query(
                """
                INSERT INTO backups (id, server_id, kind, paths, exclusions, compression, schedule_id, job_id, metadata)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING \(Backup.columns)
                """, [id, serverId, kind.rawValue, paths, exclusions, compression.rawValue, scheduleId, jobId, PostgresJSON(metadata)]
            ).first
            return try Backup(row: try row.orNotFound("backup"))
        }
    }

    /// The backup of one schedule occurrence: created once, whoever asks first; later callers get
    /// the existing row and `created == false`.
    public func createScheduled(id: UUID, schedule: BackupSchedule, dueAt: Date, metadata: JSONValue) async throws(RecordError) -> (backup: Backup, created: Bool) {
        let metadata = schedule.backupMetadata(metadata)
        return try await recording {
            if let row = try await database.query(
                """
                INSERT INTO backups (id, server_id, kind, paths, exclusions, compression, schedule_id, due_at, metadata)
                VALUES ($1, $2, 'scheduled', $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING \(Backup.columns)
                """,
                [
                    id, schedule.serverId, schedule.paths, schedule.exclusions, schedule.compression.rawValue, schedule.id, dueAt,
                    PostgresJSON(metadata),
                ]
            ).first {
                return (try Backup(row: row), true)
            }
            let existing = try await database.query(
                "SELECT \(Backup.columns) FROM backups WHERE id = $1 OR (schedule_id = $2 AND due_at = $3) LIMIT 1", [id, schedule.id, dueAt]
            ).first
            return (try Backup(row: try existing.orNotFound("backup")), false)
        }
    }

    /// A schedule's completed backups, newest first (for retention).
    public func completed(scheduleId: UUID) async throws(RecordError) -> [Backup] {
        try await recording {
            try await database.query(
                "SELECT \(Backup.columns) FROM backups WHERE schedule_id = $1 AND status = 'completed' ORDER BY completed_at DESC, id",
                [scheduleId]
            ).rows.map(Backup.init(row:))
        }
    }

    /// The size of the last completed backup of these paths on this server (the estimate a
    /// free-space check uses), if there is one.
    public func lastCompletedSize(serverId: UUID, paths: [String]) async throws(RecordError) -> Int64? {
        try await recording {
            try await database.query(
                """
                SELECT size_bytes FROM backups WHERE server_id = $1 AND paths = $2 AND status = 'completed' AND size_bytes IS NOT NULL
                ORDER BY completed_at DESC LIMIT 1
                """, [serverId, paths]
            ).first?.decode("size_bytes", as: Int64.self)
        }
    }

    /// What the janitor keeps: the id of every backup row (any status), and the file name every
    /// stored path ends in. Archives are named after their backup, so neither depends on how
    /// `BACKUP_DIR` is spelled.
    public func archiveReferences() async throws(RecordError) -> (ids: Set<UUID>, fileNames: Set<String>) {
        try await recording {
            let rows = try await database.query("SELECT id, regexp_replace(file_path, '^.*/', '') AS file_name FROM backups").rows
            var ids = Set<UUID>()
            var fileNames = Set<String>()
            for row in rows {
                ids.insert(try row.decode("id", as: UUID.self))
                if let name = try row.decodeIfPresent("file_name", as: String.self) { fileNames.insert(name) }
            }
            return (ids, fileNames)
        }
    }

    /// How many rows other than `id` have a stored path ending in the file name `fileName`.
    public func references(toArchiveNamed fileName: String, excluding id: UUID) async throws(RecordError) -> Int64 {
        try await recording {
            try await database.query(
                "SELECT count(*) AS n FROM backups WHERE id <> $1 AND regexp_replace(file_path, '^.*/', '') = $2", [id, fileName]
            ).first?.decode("n", as: Int64.self) ?? 0
        }
    }

    /// Backups being written now (their partial files must stay).
    public func running() async throws(RecordError) -> [Backup] {
        try await recording {
            try await database.query("SELECT \(Backup.columns) FROM backups WHERE status = 'running'").rows.map(Backup.init(row:))
        }
    }

    /// One schedule's backups, newest first (`list(_:serverId:status:)` for all).
    public func list(_ page: Page = Page(), serverId: UUID? = nil, status: RecordStatus? = nil, scheduleId: UUID) async throws(RecordError) -> PageOf<Backup> {
        try await records.list(page, serverId: serverId, status: status, scheduleId: scheduleId)
    }

    /// Completes a backup in one write: where the archive is, what it is (`shape`) and its result.
    public func markCompleted(
        id: UUID, filePath: String, size: Int64, sha256: String, warning: String? = nil,
        metadata: JSONValue = .object([:]), storage: ArchiveLocation = .directory,
        shape: ArchiveShape = ArchiveShape()
    ) async throws(RecordError) -> Backup {
        try await recording {
            let row = try await database.query(
                """
                UPDATE backups SET status = 'completed', file_path = $2, size_bytes = $3, sha256 = $4, warning = $5,
                    metadata = metadata || $6::jsonb, error = NULL, completed_at = greatest(now(), coalesce(started_at, now())),
                    storage = $7, backup_type = $8, base_backup_id = $9, chain_position = $10, tar_snapshot = $11,
                    data_key_ciphertext = $12, data_key_key_id = $13, updated_at = now()
                WHERE id = $1 RETURNING \(Backup.columns)
                """,
                [
                    id, filePath, size, sha256, warning, PostgresJSON(metadata), storage.rawValue, shape.type.rawValue, shape.base,
                    shape.chainPosition, shape.tarSnapshot.map(PostgresBytes.init), shape.dataKey?.ciphertext, shape.dataKey?.keyId,
                ]
            ).first
            // Only a chain's newest backup needs its snapshot: the base's goes, so snapshots do
            // not pile up in the table (one per chain, not one per backup).
            if let base = shape.base {
                _ = try await database.query("UPDATE backups SET tar_snapshot = NULL WHERE id = $1", [base])
            }
            return try Backup(row: try row.orNotFound("backup"))
        }
    }

    public func setVerification(id: UUID, _ verification: BackupVerification, error: String? = nil) async throws(RecordError) {
        _ = try await recording {
            try await database.query(
                """
                UPDATE backups SET verification = $2, verified_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END,
                    warning = coalesce($3, warning), updated_at = now() WHERE id = $1
                """, [id, verification.rawValue, error])
        }
    }

    /// Per server (by name): when its last backup completed and how big it was.
    public func latestCompletedPerServer() async throws(RecordError) -> [(server: String, completedAt: Date, size: Int64)] {
        try await recording {
            try await database.query(
                """
                SELECT DISTINCT ON (b.server_id) s.name, b.completed_at, coalesce(b.size_bytes, 0) AS size_bytes
                FROM backups b JOIN servers s ON s.id = b.server_id
                WHERE b.status = 'completed' AND b.completed_at IS NOT NULL
                ORDER BY b.server_id, b.completed_at DESC
                """
            ).rows.map { (try $0.decode("name", as: String.self), try $0.decode("completed_at", as: Date.self), try $0.decode("size_bytes", as: Int64.self)) }
        }
    }

    /// Deletes the row; refuses (conflict) while an incremental backup builds on it, since
    /// restoring that one needs this archive.
    public func delete(id: UUID) async throws(RecordError) -> Bool {
        let dependents = try await dependents(of: id)
        if let first = dependents.first {
            throw RecordError(
                .conflict, field: "backup",
                "backup \(id.lowercasedString) is the base of \(dependents.count) incremental backup(s) (\(first.lowercasedString)\(dependents.count > 1 ? ", …" : "")); it is kept until they are deleted"
            )
        }
        return try await records.lifecycle.delete(id: id)
    }
}

public import Foundation
public import JSONSupport
import PostgresClient

public enum BackupKind: String, Sendable, Codable { case manual, scheduled }
public enum BackupVerification: String, Sendable, Codable { case pending, verified, failed, skipped }
public enum Compression: String, Sendable, Codable, CaseIterable { case gzip, zstd, none }
/// Full, or only what changed since its base (GNU tar `--listed-incremental`).
public enum BackupType: String, Sendable, Codable, CaseIterable { case full, incremental }
/// Where an archive lives: under `BACKUP_DIR`, or in the object store (`BACKUP_STORAGE=s3`).
public enum ArchiveLocation: String, Sendable, Codable { case directory = "dir", objectStore = "s3" }

public struct Backup: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var serverId: UUID
    @LowercaseOptionalUUID public var scheduleId: UUID?
    public var kind: BackupKind
    public var status: RecordStatus
    public var verification: BackupVerification
    public var paths: [String]
    public var exclusions: [String]
    public var compression: Compression
    /// What the archive holds: everything, or the changes since `baseBackupId`.
    public var backupType: BackupType
    /// The backup an incremental builds on; restoring it applies the chain from its full backup.
    @LowercaseOptionalUUID public var baseBackupId: UUID?
    /// 0 for a full backup, n for the n-th incremental after it.
    public var chainPosition: Int
    /// The public id of the key that seals the archive's data key; nil for a plain archive.
    public var encryptionKeyId: String?
    public var isEncrypted: Bool { encryptionKeyId != nil }
    /// What the request or schedule asked for (`metadata.requestedType`); the row's `backupType`
    /// says what was written (a broken chain makes an incremental full).
    public var requestedType: BackupType { metadata["requestedType"]?.stringValue.flatMap(BackupType.init(rawValue:)) ?? .full }
    /// A schedule's "full every N days" (`metadata.fullEveryDays`).
    public var fullEveryDays: Int? { metadata["fullEveryDays"]?.intValue }
    /// The archive, relative to `BACKUP_DIR`: `<server id>/<yyyy>/<mm>/<backup id>.tar.gz` (rows from
    /// before migration 0009 may hold an absolute path; only its tail counts, see `BackupStorage`).
    public var filePath: String?
    /// Where `filePath` is to be found (migration 0013; `dir` for every older row).
    public var storage: ArchiveLocation
    public var size: Int64?
    public var sha256: String?
    public var jobId: String?
    public var attempts: Int
    public var startedAt: Date?
    public var completedAt: Date?
    public var verifiedAt: Date?
    public var error: String?
    public var warning: String?
    public var metadata: JSONValue
    /// The schedule occurrence this backup ran for (scheduled backups only).
    public var dueAt: Date?
    public var createdAt: Date

    public init(
        id: UUID = UUID(), serverId: UUID, scheduleId: UUID? = nil, kind: BackupKind, status: RecordStatus = .pending,
        verification: BackupVerification = .pending, paths: [String], exclusions: [String] = [], compression: Compression = .gzip,
        backupType: BackupType = .full, baseBackupId: UUID? = nil, chainPosition: Int = 0, encryptionKeyId: String? = nil,
        filePath: String? = nil, storage: ArchiveLocation = .directory, size: Int64? = nil, sha256: String? = nil, jobId: String? = nil,
        attempts: Int = 0,
        startedAt: Date? = nil, completedAt: Date? = nil, verifiedAt: Date? = nil, error: String? = nil, warning: String? = nil,
        metadata: JSONValue = .object([:]), dueAt: Date? = nil, createdAt: Date = Date()
    ) {
        self.id = id
        self.serverId = serverId
        self.scheduleId = scheduleId
        self.kind = kind
        self.status = status
        self.verification = verification
        self.paths = paths
        self.exclusions = exclusions
        self.compression = compression
        self.backupType = backupType
        self.baseBackupId = baseBackupId
        self.chainPosition = chainPosition
        self.encryptionKeyId = encryptionKeyId
        self.filePath = filePath
        self.storage = storage
        self.size = size
        self.sha256 = sha256
        self.jobId = jobId
        self.attempts = attempts
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.verifiedAt = verifiedAt
        self.error = error
        self.warning = warning
        self.metadata = metadata
        self.dueAt = dueAt
        self.createdAt = createdAt
    }

    static let columns = """
        id, server_id, schedule_id, kind, status, verification, paths, exclusions, compression, backup_type, base_backup_id,
        chain_position, data_key_key_id AS encryption_key_id, file_path, storage, size_bytes AS size, sha256, job_id, attempts, started_at, completed_at, verified_at,
        error, warning, metadata, due_at, created_at
        """
}

extension Backup: RowRecord {}

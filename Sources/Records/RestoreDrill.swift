public import Foundation
import PostgresClient

/// Where a restore drill stands: queued, running, then passed or failed.
public enum RestoreDrillStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, passed, failed

    public var isFinished: Bool { self == .passed || self == .failed }
}

/// What a drill found when it compared the restored tree with the backup's file list.
public struct RestoreDrillCounts: Sendable, Codable, Equatable {
    /// Entries the file list says a restore leaves (the chain composed, full first).
    public var expected: Int
    /// Present with the right kind, size, mode, mtime, link target and content.
    public var matched: Int
    public var missing: Int
    public var changed: Int
    /// Restored but not in the file list (directories above the backed-up paths do not count).
    public var extra: Int
    /// Regular files whose content was hashed on the server and compared with the list's SHA-256.
    public var hashed: Int

    public init(expected: Int = 0, matched: Int = 0, missing: Int = 0, changed: Int = 0, extra: Int = 0, hashed: Int = 0) {
        self.expected = expected
        self.matched = matched
        self.missing = missing
        self.changed = changed
        self.extra = extra
        self.hashed = hashed
    }

    public var passed: Bool { missing == 0 && changed == 0 && extra == 0 }
}

/// One difference a drill found: a member path and what was wrong with it.
public struct RestoreDrillProblem: Sendable, Codable, Equatable {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
}

/// A restore drill: proof that a backup restores to what its file list says.
public struct RestoreDrill: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    /// The server whose backup was drilled.
    @LowercaseUUID public var serverId: UUID
    /// Nil once retention deleted the backup; the drill's outcome stays.
    @LowercaseOptionalUUID public var backupId: UUID?
    @LowercaseOptionalUUID public var scheduleId: UUID?
    /// Where the restore ran when not on the backup's own server.
    @LowercaseOptionalUUID public var drillServerId: UUID?
    public var status: RestoreDrillStatus
    public var jobId: String?
    public var counts: RestoreDrillCounts?
    /// The first `RestoreDrill.problemLimit` differences.
    public var problems: [RestoreDrillProblem]
    public var error: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    /// How many differences a drill keeps (the counts say how many there were).
    public static let problemLimit = 50

    static let columns = """
        id, server_id, backup_id, schedule_id, drill_server_id, status, job_id,
        CASE WHEN entries_expected IS NOT NULL THEN json_build_object(
            'expected', entries_expected, 'matched', coalesce(entries_matched, 0), 'missing', coalesce(entries_missing, 0),
            'changed', coalesce(entries_changed, 0), 'extra', coalesce(entries_extra, 0), 'hashed', coalesce(files_hashed, 0)) END AS counts,
        problems, error, created_at, started_at, finished_at
        """
}

extension RestoreDrill: RowRecord {}

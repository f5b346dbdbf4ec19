public import Foundation
public import PostgresClient

public struct BackupScheduleRepository: Sendable {
    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    public func create(_ definition: ScheduleDefinition, nextRunAt: Date?) async throws(RecordError) -> BackupSchedule {
        try await recording {
            let row = try await database.query(
                """
                INSERT INTO backup_schedules (server_id, cron, timezone, paths, exclusions, compression, keep_last, keep_daily,
                                              keep_weekly, keep_monthly, enabled, backup_type, full_every_days, drill_every_backups,
                                              drill_every_days, drill_server_id, next_run_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING \(BackupSchedule.columns)
                """, Self.values(definition) + [nextRunAt]
            ).first
            return try BackupSchedule(row: try row.orNotFound("schedule"))
        }
    }

    public func replace(id: UUID, with definition: ScheduleDefinition, nextRunAt: Date?) async throws(RecordError) -> BackupSchedule {
        try await recording {
            let row = try await database.query(
                """
                UPDATE backup_schedules SET server_id = $1, cron = $2, timezone = $3, paths = $4, exclusions = $5, compression = $6,
                    keep_last = $7, keep_daily = $8, keep_weekly = $9, keep_monthly = $10, enabled = $11, backup_type = $12,
                    full_every_days = $13, drill_every_backups = $14, drill_every_days = $15, drill_server_id = $16, next_run_at = $17,
                    updated_at = now()
                WHERE id = $18 RETURNING \(BackupSchedule.columns)
                """, Self.values(definition) + [nextRunAt, id]
            ).first
            return try BackupSchedule(row: try row.orNotFound("schedule"))
        }
    }

    private static func values(_ definition: ScheduleDefinition) -> [(any PostgresEncodable)?] {
        [
            definition.serverId, definition.cron, definition.timezone, definition.paths, definition.exclusions, definition.compression.rawValue,
            definition.retention.keepLast, definition.retention.daily, definition.retention.weekly, definition.retention.monthly,
            definition.enabled, definition.backupType.rawValue, definition.fullEveryDays, definition.drill.everyBackups, definition.drill.everyDays,
            definition.drill.serverId,
        ]
    }

    public func find(id: UUID) async throws(RecordError) -> BackupSchedule? {
        try await database.find(in: "backup_schedules", id: id)
    }

    public func list(_ page: Page = Page(), serverId: UUID? = nil) async throws(RecordError) -> PageOf<BackupSchedule> {
        try await database.page(of: "backup_schedules", where: "$3::uuid IS NULL OR server_id = $3", orderBy: "created_at, id", page, [serverId])
    }

    /// Every enabled schedule with its server's name, for metrics and overdue checks (each scrape
    /// reads it, so it skips the per-schedule look into backups that `enabledWithLastSuccess` makes).
    public func enabledWithServerNames() async throws(RecordError) -> [(server: String, schedule: BackupSchedule)] {
        try await enabled(lastSuccess: "NULL::timestamptz").map { ($0.server, $0.schedule) }
    }

    /// Every enabled schedule with its server's name and when the schedule's last backup completed
    /// (nil: never), for overdue notifications.
    public func enabledWithLastSuccess() async throws(RecordError) -> [(server: String, schedule: BackupSchedule, lastSuccessAt: Date?)] {
        try await enabled(lastSuccess: "(SELECT max(k.completed_at) FROM backups k WHERE k.schedule_id = b.id AND k.status = 'completed')")
    }

    /// The enabled schedules, by server name, with `lastSuccess` (an SQL expression over the
    /// schedule `b`) as `last_success_at`.
    private func enabled(lastSuccess: StaticString) async throws(RecordError) -> [(server: String, schedule: BackupSchedule, lastSuccessAt: Date?)] {
        try await recording {
            try await database.query(
                """
                SELECT \(BackupSchedule.columns), server_name, last_success_at FROM (
                    SELECT b.*, s.name AS server_name, \(lastSuccess) AS last_success_at
                    FROM backup_schedules b JOIN servers s ON s.id = b.server_id WHERE b.enabled
                ) AS schedule ORDER BY server_name, created_at
                """
            ).rows.map {
                (try $0.decode("server_name", as: String.self), try BackupSchedule(row: $0), try $0.decodeIfPresent("last_success_at", as: Date.self))
            }
        }
    }

    /// Enabled schedules due at `now`, oldest due first.
    public func due(at now: Date, limit: Int = 100) async throws(RecordError) -> [BackupSchedule] {
        try await recording {
            try await database.query(
                """
                SELECT \(BackupSchedule.columns) FROM backup_schedules
                WHERE enabled AND next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2
                """, [now, limit]
            ).rows.map(BackupSchedule.init(row:))
        }
    }

    /// Moves `next_run_at` from `expected` to `next` (only if nobody else did), so several
    /// schedulers agree on who enqueues a run. `ran` is the occurrence that ran; `skipped`
    /// counts the earlier ones of the same gap that did not, the latest of them `lastSkipped`.
    /// Returns whether this caller won.
    public func advance(
        id: UUID, from expected: Date, to next: Date?, ran: Date? = nil, skipped: Int = 0,
        lastSkipped: Date? = nil
    ) async throws(RecordError) -> Bool {
        try await recording {
            try await database.query(
                """
                UPDATE backup_schedules SET next_run_at = $3, last_run_at = coalesce($4, $2), skipped_runs = skipped_runs + $5,
                    last_skipped_at = coalesce($6, last_skipped_at), updated_at = now()
                WHERE id = $1 AND next_run_at = $2
                """, [id, expected, next, ran, skipped, lastSkipped]
            ).affectedRows == 1
        }
    }

    public func recordOutcome(id: UUID, status: String, error: String? = nil) async throws(RecordError) {
        _ = try await recording {
            try await database.query(
                "UPDATE backup_schedules SET last_status = $2, last_error = $3, updated_at = now() WHERE id = $1", [id, status, error])
        }
    }

    public func delete(id: UUID) async throws(RecordError) -> Bool {
        try await recording { try await database.query("DELETE FROM backup_schedules WHERE id = $1", [id]).affectedRows > 0 }
    }
}

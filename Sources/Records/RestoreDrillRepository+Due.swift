public import Foundation
import PostgresClient

/// A drill a schedule asks for: its newest completed backup, not drilled yet.
public struct DueRestoreDrill: Sendable, Equatable {
    public var scheduleId: UUID
    public var serverId: UUID
    public var backupId: UUID
    public var drillServerId: UUID?
}

extension RestoreDrillRepository {
    /// Enabled schedules whose drill is due at `now`: `drill_every_backups` completed backups since
    /// the schedule's last drill (or since it began), or `drill_every_days` since that drill (or no
    /// drill yet). The drill restores the schedule's newest completed backup, once.
    public func due(at now: Date, limit: Int = 100) async throws(RecordError) -> [DueRestoreDrill] {
        try await recording {
            try await database.query(
                """
                SELECT s.id AS schedule_id, b.server_id, s.drill_server_id, b.id AS backup_id
                FROM backup_schedules s
                JOIN LATERAL (SELECT id, server_id FROM backups WHERE schedule_id = s.id AND status = 'completed'
                              ORDER BY completed_at DESC, id LIMIT 1) b ON true
                LEFT JOIN LATERAL (SELECT created_at FROM restore_drills WHERE schedule_id = s.id
                                   ORDER BY created_at DESC LIMIT 1) d ON true
                WHERE s.enabled AND (s.drill_every_backups IS NOT NULL OR s.drill_every_days IS NOT NULL)
                  AND NOT EXISTS (SELECT 1 FROM restore_drills x WHERE x.schedule_id = s.id AND x.backup_id = b.id)
                  AND ((s.drill_every_backups IS NOT NULL
                        AND (SELECT count(*) FROM backups k WHERE k.schedule_id = s.id AND k.status = 'completed'
                             AND (d.created_at IS NULL OR k.completed_at > d.created_at)) >= s.drill_every_backups)
                       OR (s.drill_every_days IS NOT NULL
                           AND (d.created_at IS NULL OR d.created_at <= $1::timestamptz - make_interval(days => s.drill_every_days))))
                ORDER BY s.id LIMIT $2
                """, [now, limit]
            ).rows.map {
                DueRestoreDrill(
                    scheduleId: try $0.decode("schedule_id"), serverId: try $0.decode("server_id"), backupId: try $0.decode("backup_id"),
                    drillServerId: try $0.decodeIfPresent("drill_server_id"))
            }
        }
    }
}

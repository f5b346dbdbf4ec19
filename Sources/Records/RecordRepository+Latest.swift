public import Foundation
import PostgresClient

extension BackupRepository {
    /// Each server's newest backup, whatever its status (one index-ordered pass).
    public func latestPerServer() async throws(RecordError) -> [UUID: Backup] {
        try await recording {
            let rows = try await database.query(
                "SELECT DISTINCT ON (server_id) \(Backup.columns) FROM backups ORDER BY server_id, created_at DESC, id"
            ).rows
            return Dictionary(
                try rows.map { row in
                    let backup = try Backup(row: row); return (backup.serverId, backup)
                }
            ) { first, _ in first }
        }
    }

    /// When each server's last successful backup completed.
    public func lastSuccessPerServer() async throws(RecordError) -> [UUID: Date] {
        try await recording {
            let rows = try await database.query(
                """
                SELECT server_id, max(completed_at) AS completed_at FROM backups
                WHERE status = 'completed' AND completed_at IS NOT NULL GROUP BY server_id
                """
            ).rows
            return Dictionary(try rows.map { (try $0.decode("server_id", as: UUID.self), try $0.decode("completed_at", as: Date.self)) }) { first, _ in first }
        }
    }
}

extension ScanRepository {
    /// Each server's newest scan, whatever its status.
    public func latestPerServer() async throws(RecordError) -> [UUID: Scan] {
        try await recording {
            let rows = try await database.query(
                "SELECT DISTINCT ON (server_id) \(Scan.columns) FROM scans ORDER BY server_id, created_at DESC, id"
            ).rows
            return Dictionary(
                try rows.map { row in
                    let scan = try Scan(row: row); return (scan.serverId, scan)
                }
            ) { first, _ in first }
        }
    }
}

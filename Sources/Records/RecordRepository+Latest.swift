public import Foundation
import PostgresClient

extension JobRecordRepository {
    /// Each server's newest record, whatever its status (one index-ordered pass).
    public func latestPerServer() async throws(RecordError) -> [UUID: Record] {
        let table = records
        return try await recording {
            let rows = try await table.database.query(
                "SELECT DISTINCT ON (server_id) \(table.columns) FROM \(table.lifecycle.table) ORDER BY server_id, created_at DESC, id"
            ).rows
            return Dictionary(try rows.map { (try $0.decode("server_id", as: UUID.self), try table.decode($0)) }) { first, _ in first }
        }
    }
}

extension BackupRepository {
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

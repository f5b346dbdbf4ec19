import Foundation
import ErrorCodes
import PostgresClient

/// Where a backup, scan or update record stands; it follows its job.
public enum RecordStatus: String, Sendable, Codable {
    case pending, running, completed, failed
}

/// The status columns backups, scans and updates share (`status`, `job_id`, `attempts`,
/// `started_at`, `completed_at`, `error`), moved the same way for all three.
struct RecordLifecycle: Sendable {
    /// One of our own table names, never input.
    let table: StaticString
    let database: PostgresPool

    /// A new attempt starts: `started_at` is set again and `completed_at`/`error` cleared, so a
    /// retry never trips the ordering check. Refused once the record is completed.
    func markRunning(id: UUID, jobId: String?) async throws(RecordError) {
        let changed = try await recording {
            try await database.query(
                """
                UPDATE \(table) SET status = 'running', job_id = coalesce($2, job_id), attempts = attempts + 1,
                    started_at = now(), completed_at = NULL, error = NULL, updated_at = now()
                WHERE id = $1 AND status <> 'completed'
                """, [id, jobId]
            ).affectedRows
        }
        if changed == 0 { throw RecordError(.conflict, field: "status", "the \(table) record is missing or already completed") }
    }

    /// The final failure, written once after the last attempt.
    func markFailed(id: UUID, error: String) async throws(RecordError) {
        _ = try await recording {
            try await database.query(
                """
                UPDATE \(table) SET status = 'failed', error = $2, updated_at = now(),
                    completed_at = greatest(now(), coalesce(started_at, now()))
                WHERE id = $1 AND status <> 'completed'
                """, [id, error.visibleClip(4000, keepingLineBreaks: true)])
        }
    }

    /// The record's job reached Redis.
    func markEnqueued(id: UUID) async throws(RecordError) {
        _ = try await recording {
            try await database.query("UPDATE \(table) SET enqueued_at = coalesce(enqueued_at, now()) WHERE id = $1", [id])
        }
    }

    func delete(id: UUID) async throws(RecordError) -> Bool {
        try await recording { try await database.query("DELETE FROM \(table) WHERE id = $1", [id]).affectedRows > 0 }
    }
}

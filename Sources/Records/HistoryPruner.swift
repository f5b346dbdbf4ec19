public import PostgresClient

/// Removes history past its retention, a batch at a time: audit entries, finished job attempts,
/// settled webhook deliveries, and finished scans and updates. Ages are measured by PostgreSQL's
/// clock, so a process whose clock runs ahead removes nothing early; rows another process is
/// already removing are skipped, so any number of processes may prune at once.
public struct HistoryPruner: Sendable {
    /// A table of history, and which of its rows may go once old enough.
    public enum History: String, Sendable, CaseIterable {
        case auditLog = "audit_log"
        /// Attempts still running are kept, however old.
        case jobAttempts = "job_attempts"
        /// Aged from when they settled (their last change); deliveries still pending or retrying
        /// are kept, however old.
        case webhookDeliveries = "webhook_deliveries"
        /// Finished scans, their findings with them. A scan goes once its server has a newer one
        /// and, if it completed, a completed one that completed later: each server's latest
        /// inventory (what the next scan is compared with) and its latest scan stay however old,
        /// and a host that only ever fails keeps its latest failure, not a year of them.
        case scans
        /// Finished updates, kept as scans are, a completed one superseded only by one of the same
        /// mode: each server's latest completed check and upgrade, and its latest update, stay.
        case updates

        /// How many rows a row of this kind stands for when batches are sized: a scan carries its
        /// findings (17 rows for a quick scan) and an update up to 256 KiB of log, so a statement
        /// removes a tenth as many of them; 500 scans hold about as long as 5,000 audit entries
        /// (BENCHMARKS.md).
        public var weight: Int {
            switch self {
            case .scans, .updates: 10
            case .auditLog, .jobAttempts, .webhookDeliveries: 1
            }
        }

        /// The rows older than `$1` days that may be removed, oldest first.
        package var expiredRows: String {
            switch self {
            case .auditLog:
                "SELECT id FROM audit_log WHERE created_at < now() - make_interval(days => $1) ORDER BY created_at"
            case .jobAttempts:
                "SELECT id FROM job_attempts WHERE state <> 'running' AND started_at < now() - make_interval(days => $1) ORDER BY started_at"
            case .webhookDeliveries:
                """
                SELECT id FROM webhook_deliveries WHERE status IN ('delivered', 'failed', 'refused')
                AND updated_at < now() - make_interval(days => $1) ORDER BY updated_at
                """
            case .scans, .updates:
                // `later` by completion, as `ScanRepository.previousCompleted` orders them. Each case
                // its own EXISTS: one EXISTS with an OR inside made PostgreSQL hash-join the whole
                // table for every batch (35 ms to choose 500 rows instead of 2; BENCHMARKS.md).
                """
                SELECT id FROM \(rawValue) AS old WHERE status IN ('completed', 'failed') AND created_at < now() - make_interval(days => $1)
                AND EXISTS (SELECT FROM \(rawValue) AS newer WHERE newer.server_id = old.server_id AND newer.created_at > old.created_at)
                AND (old.status = 'failed' OR EXISTS (SELECT FROM \(rawValue) AS later WHERE later.server_id = old.server_id
                     AND later.status = 'completed' AND later.completed_at > old.completed_at\(self == .updates ? " AND later.mode = old.mode" : "")))
                ORDER BY created_at
                """
            }
        }
    }

    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    /// Deletes at most `limit` rows of `history` older than `days` days; how many it deleted.
    public func prune(_ history: History, olderThanDays days: Int, limit: Int) async throws(RecordError) -> Int {
        guard days > 0, limit > 0 else { throw RecordError(.invalid, field: "days", "retention and batch must be positive") }
        return try await recording {
            try await database.query(
                // `= ANY(ARRAY(…))` deletes by the primary key, row by row; `IN (…)` made PostgreSQL
                // join the whole table against the batch, 3.3× slower (BENCHMARKS.md).
                "DELETE FROM \(history.rawValue) WHERE id = ANY(ARRAY(\(history.expiredRows) LIMIT $2 FOR UPDATE SKIP LOCKED))", [days, limit]
            ).affectedRows
        }
    }
}

public import Foundation
public import PostgresClient

/// The `restore_drills` rows: created queued, moved to running by their job, finished once.
public struct RestoreDrillRepository: Sendable {
    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    /// A drill of `backupId` asked for by hand (or by a test); a conflict while another drill of
    /// the same backup is queued or running.
    public func create(serverId: UUID, backupId: UUID, scheduleId: UUID? = nil, drillServerId: UUID? = nil) async throws(RecordError) -> RestoreDrill {
        try await recording {
            let row = try await database.query(
                """
                INSERT INTO restore_drills (server_id, backup_id, schedule_id, drill_server_id) VALUES ($1, $2, $3, $4)
                RETURNING \(RestoreDrill.columns)
                """, [serverId, backupId, scheduleId, drillServerId]
            ).first
            return try RestoreDrill(row: try row.orNotFound("restore drill"))
        }
    }

    /// The schedule's drill of `due.backupId`, or nil when another process created it first or a
    /// drill of that backup is under way.
    public func createScheduled(_ due: DueRestoreDrill) async throws(RecordError) -> RestoreDrill? {
        try await recording {
            try await database.query(
                """
                INSERT INTO restore_drills (server_id, backup_id, schedule_id, drill_server_id) VALUES ($1, $2, $3, $4)
                ON CONFLICT DO NOTHING
                RETURNING \(RestoreDrill.columns)
                """, [due.serverId, due.backupId, due.scheduleId, due.drillServerId]
            ).first.map(RestoreDrill.init(row:))
        }
    }

    public func find(id: UUID) async throws(RecordError) -> RestoreDrill? {
        try await database.find(in: "restore_drills", id: id)
    }

    /// Newest first, optionally of one server, backup or schedule, or in one status.
    public func list(
        _ page: Page = Page(), serverId: UUID? = nil, backupId: UUID? = nil, scheduleId: UUID? = nil,
        status: RestoreDrillStatus? = nil
    ) async throws(RecordError) -> PageOf<RestoreDrill> {
        try await database.page(
            of: "restore_drills",
            where: """
                ($3::uuid IS NULL OR server_id = $3) AND ($4::uuid IS NULL OR backup_id = $4) AND ($5::uuid IS NULL OR schedule_id = $5)
                AND ($6::text IS NULL OR status = $6)
                """,
            orderBy: "created_at DESC, id", page, [serverId, backupId, scheduleId, status?.rawValue])
    }

    /// Its job started it; refused once it finished (a late retry cannot reopen an outcome).
    public func markRunning(id: UUID, jobId: String) async throws(RecordError) {
        let changed = try await recording {
            try await database.query(
                """
                UPDATE restore_drills SET status = 'running', job_id = $2, started_at = now(), error = NULL, updated_at = now()
                WHERE id = $1 AND status IN ('queued', 'running')
                """, [id, jobId]
            ).affectedRows
        }
        if changed == 0 { throw RecordError(.conflict, field: "status", "the restore drill is missing or already finished") }
    }

    /// The outcome, written once: passed when the counts show no difference and there is no error.
    @discardableResult
    public func finish(id: UUID, counts: RestoreDrillCounts?, problems: [RestoreDrillProblem] = [], error: String? = nil) async throws(RecordError) -> RestoreDrill? {
        let passed = error == nil && counts?.passed == true
        let kept = Array(problems.prefix(RestoreDrill.problemLimit))
        // A hostile listing cannot overflow the integer columns (and make the outcome unwritable).
        func stored(_ value: Int?) -> Int? { value.map { min($0, Int(Int32.max)) } }
        return try await recording {
            try await database.query(
                """
                UPDATE restore_drills SET status = $2, entries_expected = $3, entries_matched = $4, entries_missing = $5, entries_changed = $6,
                    entries_extra = $7, files_hashed = $8, problems = $9, error = $10, finished_at = now(), updated_at = now()
                WHERE id = $1 AND status IN ('queued', 'running') RETURNING \(RestoreDrill.columns)
                """,
                [
                    id, passed ? "passed" : "failed", stored(counts?.expected), stored(counts?.matched), stored(counts?.missing),
                    stored(counts?.changed), stored(counts?.extra), stored(counts?.hashed), PostgresJSON(kept), error,
                ]
            ).first.map(RestoreDrill.init(row:))
        }
    }

    /// Queued or running drills older than `cutoff` (their job may never have reached Redis, or
    /// may have failed for good without finishing them).
    public func unfinished(createdBefore cutoff: Date, limit: Int = 100) async throws(RecordError) -> [RestoreDrill] {
        try await recording {
            try await database.query(
                """
                SELECT \(RestoreDrill.columns) FROM restore_drills WHERE status IN ('queued', 'running') AND created_at < $1
                ORDER BY created_at LIMIT $2
                """,
                [cutoff, limit]
            ).rows.map(RestoreDrill.init(row:))
        }
    }

    /// Each server's newest finished drill, with the server's name (for metrics).
    public func latestFinishedPerServer() async throws(RecordError) -> [(server: String, finishedAt: Date, passed: Bool)] {
        try await recording {
            try await database.query(
                """
                SELECT DISTINCT ON (d.server_id) s.name AS server_name, d.finished_at, d.status
                FROM restore_drills d JOIN servers s ON s.id = d.server_id
                WHERE d.finished_at IS NOT NULL ORDER BY d.server_id, d.finished_at DESC, d.id
                """
            ).rows.map {
                (try $0.decode("server_name", as: String.self), try $0.decode("finished_at", as: Date.self), try $0.decode("status", as: String.self) == "passed")
            }
        }
    }
}

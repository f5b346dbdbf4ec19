public import Foundation
import ErrorCodes
public import PostgresClient

/// One attempt of one job, on record whatever happened to it.
public struct JobAttempt: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case running, completed, failed, abandoned, cancelled }

    public var id: Int64
    public var queue: String
    public var jobId: String
    public var jobName: String
    public var attempt: Int
    public var state: State
    public var worker: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var error: String?

    static let columns = "id, queue, job_id, job_name, attempt, state, worker, started_at, finished_at, error"

    /// An attempt as its row starts out (the fast test tier's stores make them).
    public init(id: Int64, queue: String, jobId: String, jobName: String, attempt: Int, worker: String, at date: Date = Date()) {
        self.id = id
        self.queue = queue
        self.jobId = jobId
        self.jobName = jobName
        self.attempt = attempt
        self.worker = worker
        state = .running
        startedAt = date
    }
}

public struct JobAttemptRepository: Sendable {
    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    /// Records the start of an attempt. Starting the same attempt again (a crashed worker's
    /// attempt taken over after a stall) marks the old row abandoned and starts afresh.
    public func start(queue: String, jobId: String, jobName: String, attempt: Int, worker: String) async throws(RecordError) -> JobAttempt {
        try await recording {
            let row = try await database.query(
                """
                INSERT INTO job_attempts (queue, job_id, job_name, attempt, worker) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (queue, job_id, attempt) DO UPDATE SET
                    state = 'running', worker = excluded.worker, started_at = now(), finished_at = NULL,
                    error = CASE WHEN job_attempts.state = 'running' THEN 'abandoned by ' || job_attempts.worker ELSE job_attempts.error END
                RETURNING \(JobAttempt.columns)
                """, [queue, jobId, jobName, attempt, worker]
            ).first
            return try JobAttempt(row: try row.orNotFound("attempt"))
        }
    }

    public func finish(id: Int64, state: JobAttempt.State, error: String? = nil) async throws(RecordError) {
        _ = try await recording {
            try await database.query(
                "UPDATE job_attempts SET state = $2, error = $3, finished_at = greatest(now(), started_at) WHERE id = $1",
                [id, state.rawValue, error.map { $0.visibleClip(4000, keepingLineBreaks: true) }])
        }
    }

    public func attempts(queue: String, jobId: String) async throws(RecordError) -> [JobAttempt] {
        try await recording {
            try await database.query(
                "SELECT \(JobAttempt.columns) FROM job_attempts WHERE queue = $1 AND job_id = $2 ORDER BY attempt", [queue, jobId]
            ).rows.map(JobAttempt.init(row:))
        }
    }
}

extension JobAttempt: RowRecord {}

import Foundation

/// Where each job attempt is recorded; `JobAttemptRepository` in PostgreSQL, or in memory for the fast tier.
public protocol JobAttemptStore: Sendable {
    func start(queue: String, jobId: String, jobName: String, attempt: Int, worker: String) async throws(RecordError) -> JobAttempt
    func finish(id: Int64, state: JobAttempt.State, error: String?) async throws(RecordError)
}

extension JobAttemptRepository: JobAttemptStore {}

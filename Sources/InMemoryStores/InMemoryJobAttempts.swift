import Foundation
package import Records

/// Job attempts in memory, as `job_attempts` keeps them.
package actor InMemoryJobAttempts: JobAttemptStore {
    package private(set) var attempts: [JobAttempt] = []

    package init() {}

    package func start(queue: String, jobId: String, jobName: String, attempt: Int, worker: String) async throws(RecordError) -> JobAttempt {
        let started = JobAttempt(id: Int64(attempts.count + 1), queue: queue, jobId: jobId, jobName: jobName, attempt: attempt, worker: worker)
        attempts.append(started)
        return started
    }

    package func finish(id: Int64, state: JobAttempt.State, error: String?) async throws(RecordError) {
        guard let index = attempts.firstIndex(where: { $0.id == id }) else { return }
        attempts[index].state = state
        attempts[index].error = error
        attempts[index].finishedAt = Date()
    }
}

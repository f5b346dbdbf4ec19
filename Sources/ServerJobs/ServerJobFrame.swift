import BlockingIO
import ErrorCodes
package import Foundation
import JobQueue
package import Logging
package import Records
import SSHClient

/// What every job attempt on a server does around its work: load the server, hold its lease,
/// record the attempt, connect, run the work while renewing the lease, and turn whatever
/// happened into the queue's answer (done, postponed, retried, failed for good). Generic over
/// the connector so the fast test tier runs it against scripted sessions.
package struct ServerJobFrame<Connector: ServerConnecting>: Sendable {
    let servers: any ServerStore
    let lease: any ServerLeasing
    let attempts: any JobAttemptStore
    let connector: Connector
    /// How long a job whose server is busy (or whose lease was lost) waits before it tries again.
    let busyRetryDelay: Duration
    let logger: Logger
    let workerName: String

    package init(
        servers: any ServerStore, lease: any ServerLeasing, attempts: any JobAttemptStore, connector: Connector,
        busyRetryDelay: Duration, logger: Logger, workerName: String
    ) {
        self.servers = servers
        self.lease = lease
        self.attempts = attempts
        self.connector = connector
        self.busyRetryDelay = busyRetryDelay
        self.logger = logger
        self.workerName = workerName
    }

    /// Runs `work` on a session to the server; `onFinalFailure` marks the record failed after the
    /// last attempt (only while this attempt still holds the job's lock).
    package func run<Result: Sendable>(
        _ serverId: UUID, attempt context: some LockedJobAttempt, onFinalFailure: @Sendable (String) async throws -> Void,
        _ work: @escaping @Sendable (Server, Connector.Session) async throws -> Result
    ) async throws -> Result {
        guard let found = try await servers.connectable(id: serverId) else {
            try await onFinalFailure("the server no longer exists")
            throw UnrecoverableError("server \(serverId) no longer exists")
        }
        let server = found.server
        guard try await lease.acquire(server.id, token: context.token) else {
            throw PostponeJob(by: busyRetryDelay, reason: "another job is working on \(server.name)")
        }
        let job = context.job
        let attempt: JobAttempt
        do {
            attempt = try await attempts.start(
                queue: job.queueName, jobId: job.id, jobName: job.name, attempt: job.attemptsMade + 1, worker: workerName)
        } catch {
            try? await lease.release(server.id, token: context.token)
            throw error
        }
        do {
            // Opened only now, with the lease held and the attempt on record.
            let credential = try servers.openForConnecting(found)
            let session = try await connector.connect(server, credential: credential)
            let result = try await withCleanup {
                try await whileHoldingLease(server.id, token: context.token) { try await work(server, session) }
            } cleanup: {
                await session.close()
            }
            try await attempts.finish(id: attempt.id, state: .completed, error: nil)
            try? await lease.release(server.id, token: context.token)
            return result
        } catch {
            throw await failed(attempt, of: context, on: server, with: error, onFinalFailure: onFinalFailure)
        }
    }

    /// Records how the attempt ended and returns what the queue is to be told.
    private func failed(
        _ attempt: JobAttempt, of context: some LockedJobAttempt, on server: Server, with error: any Error,
        onFinalFailure: @Sendable (String) async throws -> Void
    ) async -> any Error {
        let job = context.job
        if error is ServerLeaseLost {
            // Redis lost the lease (a restart without its last writes): another attempt may be on
            // this server now. Stop, and come back without using an attempt.
            await Self.uncancelled { [attempts] in
                try? await attempts.finish(id: attempt.id, state: .cancelled, error: "cancelled: the server's lease was lost")
            }
            return PostponeJob(by: busyRetryDelay, reason: "the lease on \(server.name) was lost")
        }
        if Task.isCancelled || Self.isCancellation(error) {
            // The lock was lost or the process is stopping: no outcome is written; the session is
            // closed (the remote command ends), the lease goes back at once.
            await Self.uncancelled { [attempts, lease, logger, token = context.token] in
                try? await attempts.finish(
                    id: attempt.id, state: .cancelled, error: "cancelled: the job's lock was lost or the process is stopping")
                try? await lease.release(server.id, token: token)
                logger.notice("job attempt cancelled", metadata: ["job": "\(job.id)", "queue": "\(job.queueName)"])
            }
            return CancellationError()
        }
        if let unavailable = error as? RecordError, unavailable.kind == .unavailable {
            // Wait for PostgreSQL without spending an attempt (the processor postpones the job).
            try? await lease.release(server.id, token: context.token)
            return unavailable
        }
        let failure = Self.classify(error)
        let final = !failure.retryable || job.attemptsMade + 1 >= job.options.maxAttempts
        try? await attempts.finish(id: attempt.id, state: .failed, error: failure.message)
        try? await lease.release(server.id, token: context.token)
        if final, (try? await context.holdsLock()) == true {
            try? await onFinalFailure(failure.message)
        }
        logger.warning(
            "job attempt failed",
            metadata: [
                "job": "\(job.id)", "queue": "\(job.queueName)", "attempt": "\(job.attemptsMade + 1)", "retry": "\(!final)", "error": "\(failure.message)",
            ])
        if failure.retryable { return RetryableJobFailure(message: failure.message) }
        return UnrecoverableError(failure.message)
    }

    /// Runs `work` while renewing the server's lease beside it; when a renewal finds the lease
    /// gone or taken, `work` is cancelled and `ServerLeaseLost` thrown.
    func whileHoldingLease<Result: Sendable>(_ serverId: UUID, token: String, _ work: @escaping @Sendable () async throws -> Result) async throws -> Result {
        let lease = lease
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: lease.duration / 3)
                    // A Redis error is not a loss: the lease lasts three renewal periods.
                    if (try? await lease.renew(serverId, token: token)) == false { throw ServerLeaseLost() }
                }
            }
            group.addTask { try await work() }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let result = finished { return result }
            }
            throw CancellationError()
        }
    }

    static func isCancellation(_ error: any Error) -> Bool {
        switch error {
        case is CancellationError: return true
        case let error as SSHError: return error.code == .cancelled
        case let error as ServerJobError: return error.code == .cancelled
        default: return false
        }
    }

    /// Runs clean-up that must happen although the calling task was cancelled (a cancelled task
    /// would refuse the database and Redis calls); the work is short and awaited.
    static func uncancelled(_ work: @escaping @Sendable () async -> Void) async {
        await Task { await work() }.value
    }

    /// The message a failure is recorded with, and whether another attempt may succeed.
    static func classify(_ error: any Error) -> (message: String, retryable: Bool) {
        switch error {
        case let error as ServerJobError: return (error.message, error.isRetryable)
        case let error as RecordError: return ("record: \(error.description)", error.kind == .unavailable)
        case let error as UnrecoverableError: return (error.message, false)
        default: return (String(describing: error), true)
        }
    }
}

import Crypto
import Foundation
import JobQueue
import Logging
import Records
import SSHClient

/// Runs the platform's jobs: loads the record and server, takes the server's lease, records the
/// attempt, connects, does the work, and writes the outcome only while it still holds the job's
/// lock. Retryable failures are rethrown for the queue's backoff; the record is marked failed once,
/// after the last attempt.
package struct ServerJobProcessor: Sendable {
    package struct Dependencies: Sendable {
        package var servers: ServerRepository
        package var backups: BackupRepository
        package var scans: ScanRepository
        package var updates: UpdateRepository
        package var attempts: JobAttemptRepository
        package var lease: ServerLease
        package var storage: BackupStorage
        package var connector: ServerConnector
        /// How long a job whose server is busy waits before it tries again (no attempt used).
        package var busyRetryDelay: Duration
        /// Scheduled backups report their outcome here and apply the schedule's retention.
        package var schedules: BackupScheduleRepository?
        /// Space a backup must leave free on the backup volume, beyond its estimated size.
        package var reservedFreeBytes: Int64
        /// Told of finished backups, scans and updates (webhooks).
        package var notifier: any Notifier
        /// Seals new archives' data keys and opens stored ones; nil stores archives plain and
        /// cannot read sealed ones.
        package var archiveKeys: ArchiveKeys?

        package init(
            servers: ServerRepository, backups: BackupRepository, scans: ScanRepository, updates: UpdateRepository,
            attempts: JobAttemptRepository, lease: ServerLease, storage: BackupStorage, connector: ServerConnector,
            busyRetryDelay: Duration = .seconds(5), schedules: BackupScheduleRepository? = nil,
            reservedFreeBytes: Int64 = 64 << 20, notifier: any Notifier = SilentNotifier(), archiveKeys: ArchiveKeys? = nil
        ) {
            self.notifier = notifier
            self.archiveKeys = archiveKeys
            self.schedules = schedules
            self.reservedFreeBytes = reservedFreeBytes
            self.servers = servers
            self.backups = backups
            self.scans = scans
            self.updates = updates
            self.attempts = attempts
            self.lease = lease
            self.storage = storage
            self.connector = connector
            self.busyRetryDelay = busyRetryDelay
        }
    }

    let dependencies: Dependencies
    let logger: Logger
    let workerName: String

    package init(dependencies: Dependencies, logger: Logger, workerName: String = ProcessInfo.processInfo.hostName) {
        self.dependencies = dependencies
        self.logger = logger
        self.workerName = workerName
    }

    /// The `JobProcessor` for a worker of any of the three queues.
    package func process(_ context: JobContext) async throws -> JSONValue {
        guard let name = ServerJobName(rawValue: context.job.name) else {
            throw UnrecoverableError("unknown job name '\(context.job.name)'")
        }
        guard let data = context.job.data, let payload = try? data.decode(as: ServerJobPayload.self), let recordId = UUID(uuidString: payload.recordId) else {
            throw UnrecoverableError("job data must be {\"recordId\": \"<uuid>\"}, got \(context.job.rawData.prefix(120))")
        }
        do {
            switch name {
            case .manualBackup, .scheduledBackup: return try await backup(recordId, context: context)
            case .restore: return try await restore(recordId, payload: payload, context: context)
            case .drill: return try await drill(recordId, context: context)
            case .quickScan, .fullScan: return try await scan(recordId, context: context)
            case .update: return try await update(recordId, context: context)
            }
        } catch let error as RecordError where error.kind == .unavailable {
            // PostgreSQL is down or restarting: wait for it without using an attempt, so an
            // outage never turns work into failures.
            throw PostponeJob(by: dependencies.busyRetryDelay * 2, reason: "waiting for the database: \(error.message)")
        }
    }

    // MARK: - The shared frame

    /// Loads the server, holds its lease, records the attempt and runs `work` on a session.
    /// `onFinalFailure` marks the record failed after the last attempt.
    func withServer<Result: Sendable>(
        _ serverId: UUID, context: JobContext, onFinalFailure: @Sendable (String) async throws -> Void,
        _ work: @escaping @Sendable (Server, SSHSession) async throws -> Result
    ) async throws -> Result {
        guard let server = try await dependencies.servers.find(id: serverId) else {
            try await onFinalFailure("the server no longer exists")
            throw UnrecoverableError("server \(serverId) no longer exists")
        }
        guard try await dependencies.lease.acquire(server.id, token: context.token) else {
            throw PostponeJob(by: dependencies.busyRetryDelay, reason: "another job is working on \(server.name)")
        }
        let job = context.job
        let attempt = try await dependencies.attempts.start(
            queue: job.queueName, jobId: job.id, jobName: job.name, attempt: job.attemptsMade + 1, worker: workerName)
        do {
            let session = try await dependencies.connector.connect(server)
            let result: Result
            do {
                result = try await whileHoldingLease(server.id, token: context.token) { try await work(server, session) }
            } catch {
                await session.close()
                throw error
            }
            await session.close()
            try await dependencies.attempts.finish(id: attempt.id, state: .completed)
            try? await dependencies.lease.release(server.id, token: context.token)
            return result
        } catch {
            if error is ServerLease.Lost {
                // Redis lost the lease (a restart without its last writes): another attempt may
                // be on this server now. Stop, and come back without using an attempt.
                await Self.uncancelled { [dependencies] in
                    try? await dependencies.attempts.finish(id: attempt.id, state: .cancelled, error: "cancelled: the server's lease was lost")
                }
                throw PostponeJob(by: dependencies.busyRetryDelay, reason: "the lease on \(server.name) was lost")
            }
            if Task.isCancelled || Self.isCancellation(error) {
                // The lock was lost or the process is stopping: no outcome is written; the
                // session is closed (the remote command ends), the lease goes back at once.
                await Self.uncancelled { [dependencies, logger] in
                    try? await dependencies.attempts.finish(
                        id: attempt.id, state: .cancelled,
                        error: "cancelled: the job's lock was lost or the process is stopping")
                    try? await dependencies.lease.release(server.id, token: context.token)
                    logger.notice("job attempt cancelled", metadata: ["job": "\(job.id)", "queue": "\(job.queueName)"])
                }
                throw CancellationError()
            }
            if let unavailable = error as? RecordError, unavailable.kind == .unavailable {
                // Wait for PostgreSQL without spending an attempt (`process` postpones the job).
                try? await dependencies.lease.release(server.id, token: context.token)
                throw unavailable
            }
            let failure = Self.classify(error)
            let final = !failure.retryable || job.attemptsMade + 1 >= job.options.maxAttempts
            try? await dependencies.attempts.finish(id: attempt.id, state: .failed, error: failure.message)
            try? await dependencies.lease.release(server.id, token: context.token)
            if final, (try? await context.holdsLock()) == true {
                try? await onFinalFailure(failure.message)
            }
            logger.warning(
                "job attempt failed",
                metadata: [
                    "job": "\(job.id)", "queue": "\(job.queueName)", "attempt": "\(job.attemptsMade + 1)", "retry": "\(!final)", "error": "\(failure.message)",
                ])
            if failure.retryable {
                throw RetryableJobFailure(message: failure.message)
            }
            throw UnrecoverableError(failure.message)
        }
    }

    /// Runs `work` while renewing the server's lease beside it; when a renewal finds the lease
    /// gone or taken, `work` is cancelled and `ServerLease.Lost` thrown.
    func whileHoldingLease<Result: Sendable>(_ serverId: UUID, token: String, _ work: @escaping @Sendable () async throws -> Result) async throws -> Result {
        let lease = dependencies.lease
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: lease.duration / 3)
                    // A Redis error is not a loss: the lease lasts three renewal periods.
                    if (try? await lease.renew(serverId, token: token)) == false { throw ServerLease.Lost() }
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

    /// A short file-name tag for this attempt, from its lock token.
    static func attemptTag(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)).prefix(4))
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

    static func classify(_ error: any Error) -> (message: String, retryable: Bool) {
        switch error {
        case let error as ServerJobError: return (error.message, error.isRetryable)
        case let error as RecordError: return ("record: \(error.description)", error.kind == .unavailable)
        case let error as UnrecoverableError: return (error.message, false)
        default: return (String(describing: error), true)
        }
    }

    /// Writes results only while this attempt still owns the job (fencing after a stall).
    func requireLock(_ context: JobContext) async throws {
        guard try await context.holdsLock() else {
            throw UnrecoverableError("this attempt lost the job's lock (it was taken over after a stall); its result was not written")
        }
    }
}

/// A failure worth another attempt; the queue's backoff applies.
package struct RetryableJobFailure: Error, Sendable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

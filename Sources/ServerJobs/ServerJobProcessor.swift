import Crypto
import Foundation
package import JobQueue
package import Logging
package import Records
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
        /// Longest a backup's transfer may run.
        package var backupTimeout: Duration

        package init(
            servers: ServerRepository, backups: BackupRepository, scans: ScanRepository, updates: UpdateRepository,
            attempts: JobAttemptRepository, lease: ServerLease, storage: BackupStorage, connector: ServerConnector,
            busyRetryDelay: Duration = .seconds(5), schedules: BackupScheduleRepository? = nil,
            reservedFreeBytes: Int64 = 64 << 20, notifier: any Notifier = SilentNotifier(), archiveKeys: ArchiveKeys? = nil,
            backupTimeout: Duration = .seconds(24 * 3600)
        ) {
            self.backupTimeout = backupTimeout
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
        let frame = ServerJobFrame(
            servers: dependencies.servers, lease: dependencies.lease, attempts: dependencies.attempts, connector: dependencies.connector,
            busyRetryDelay: dependencies.busyRetryDelay, logger: logger, workerName: workerName)
        return try await frame.run(serverId, attempt: context, onFinalFailure: onFinalFailure, work)
    }

    /// A short file-name tag for this attempt, from its lock token.
    static func attemptTag(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)).prefix(4))
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

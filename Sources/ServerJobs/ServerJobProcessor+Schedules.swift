import BlockingIO
import Foundation
import JobQueue
import Logging
import Records

extension ServerJobProcessor {
    /// Fails before any transfer when the backup volume cannot hold the estimate: the size of
    /// the last completed backup of the same paths (plus a tenth), plus the reserve.
    func requireFreeSpace(for record: Backup) async throws(ServerJobError) {
        let estimate: Int64
        do {
            estimate = try await dependencies.backups.lastCompletedSize(serverId: record.serverId, paths: record.paths) ?? 0
        } catch {
            throw ServerJobError(.storage, "cannot estimate the backup's size: \(error.message)", retryable: true)
        }
        let storage = dependencies.storage
        let available = try await BlockingWork.run { () throws(ServerJobError) in try storage.availableBytes() }
        let needed = estimate + estimate / 10 + dependencies.reservedFreeBytes
        guard available >= needed else {
            throw ServerJobError(
                .storage,
                """
                the backup directory \(dependencies.storage.root) has \(Self.megabytes(available)) free, but this backup needs about \
                \(Self.megabytes(needed)) (the last backup of these paths was \(Self.megabytes(estimate))); free space there or set BACKUP_DIR \
                to a larger volume
                """, retryable: false)
        }
    }

    /// A scheduled backup's outcome goes to its schedule; after a success the schedule's
    /// retention runs. The backup's own result stands whatever happens here.
    func reportScheduled(_ record: Backup, status: String, error: String?) async {
        guard let scheduleId = record.scheduleId, let schedules = dependencies.schedules else { return }
        do {
            try await schedules.recordOutcome(id: scheduleId, status: status, error: error)
            guard status == "completed", let schedule = try await schedules.find(id: scheduleId) else { return }
            let retention = BackupRetention(backups: dependencies.backups, storage: dependencies.storage, logger: logger)
            try await retention.apply(to: schedule)
        } catch {
            logger.error("could not update the backup's schedule", metadata: ["schedule": "\(scheduleId)", "error": "\(error)"])
        }
    }

    static func megabytes(_ bytes: Int64) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}

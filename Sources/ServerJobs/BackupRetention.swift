package import Foundation
package import Logging
package import Records

/// Which of a schedule's completed backups to keep: the newest `keepLast`, plus the newest backup
/// of each of the latest `daily` days, `weekly` ISO weeks and `monthly` months that have one
/// (calendar in the schedule's time zone). The union is kept; a policy with no counts keeps all.
///
/// A backup that failed verification takes no place: otherwise a server whose archives stop
/// reading for `keepLast` runs would push out every good backup it had (verification proves an
/// archive reads, not what it holds). It stays, for the record, while it is
/// newer than the oldest backup kept (and takes places as before when no backup is good).
package enum RetentionPlan {
    package static func kept(_ backups: [Backup], policy: RetentionPolicy, timeZone: TimeZone) -> Set<UUID> {
        let byDate = backups.sorted { ($0.completedAt ?? $0.createdAt) > ($1.completedAt ?? $1.createdAt) }
        guard policy.keepLast != nil || policy.daily != nil || policy.weekly != nil || policy.monthly != nil else {
            return Set(byDate.map(\.id))
        }
        let newestFirst = byDate.filter { $0.verification != .failed }
        // With no good backup at all, the failed ones are all there is to keep.
        guard !newestFirst.isEmpty else { return slots(byDate, policy: policy, timeZone: timeZone) }
        var kept = slots(newestFirst, policy: policy, timeZone: timeZone)
        if let oldestKept = newestFirst.last(where: { kept.contains($0.id) }) {
            let since = oldestKept.completedAt ?? oldestKept.createdAt
            kept.formUnion(byDate.filter { $0.verification == .failed && ($0.completedAt ?? $0.createdAt) > since }.map(\.id))
        }
        return kept
    }

    /// The backups the policy's counts keep, of `newestFirst`.
    private static func slots(_ newestFirst: [Backup], policy: RetentionPolicy, timeZone: TimeZone) -> Set<UUID> {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = timeZone
        var kept = Set(newestFirst.prefix(policy.keepLast ?? 0).map(\.id))
        let buckets: [(count: Int?, key: (Date) -> [Int])] = [
            (
                policy.daily,
                {
                    let parts = calendar.dateComponents([.year, .month, .day], from: $0); return [parts.year ?? 0, parts.month ?? 0, parts.day ?? 0]
                }
            ),
            (
                policy.weekly,
                {
                    let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: $0); return [parts.yearForWeekOfYear ?? 0, parts.weekOfYear ?? 0]
                }
            ),
            (
                policy.monthly,
                {
                    let parts = calendar.dateComponents([.year, .month], from: $0); return [parts.year ?? 0, parts.month ?? 0]
                }
            ),
        ]
        for bucket in buckets {
            guard let count = bucket.count, count > 0 else { continue }
            var seen = Set<[Int]>()
            for backup in newestFirst where seen.count < count {
                if seen.insert(bucket.key(backup.completedAt ?? backup.createdAt)).inserted { kept.insert(backup.id) }
            }
        }
        return kept
    }
}

/// Applies a schedule's retention after one of its backups succeeded: rows first, then files, so
/// no row ever points at a missing file (a file left behind is the janitor's). Files go through
/// `BackupStorage.removeArchive(of:)`, like the API's deletions.
package struct BackupRetention: Sendable {
    let backups: any BackupStore
    let storage: BackupStorage
    let logger: Logger

    package init(backups: any BackupStore, storage: BackupStorage, logger: Logger) {
        self.backups = backups
        self.storage = storage
        self.logger = logger
    }

    /// Deletes what the schedule's policy does not keep; returns the deleted backups' ids.
    @discardableResult
    package func apply(to schedule: BackupSchedule) async throws -> [UUID] {
        let completed = try await backups.completed(scheduleId: schedule.id)
        let kept = RetentionPlan.kept(completed, policy: schedule.retention, timeZone: TimeZone(identifier: schedule.timezone) ?? .gmt)
        var deleted: [UUID] = []
        // Newest first, so an incremental goes before the base it builds on; a backup that a kept
        // one still depends on stays, and the log says which.
        for backup in completed where !kept.contains(backup.id) {
            let removed: Bool
            do {
                removed = try await backups.delete(id: backup.id)
            } catch {
                guard error.kind == .conflict else { throw error }
                logger.info("retention kept a backup another depends on", metadata: ["backup": "\(backup.id)", "reason": "\(error.message)"])
                continue
            }
            guard removed else { continue }
            deleted.append(backup.id)
            // The same containment check as DELETE /api/backups/:id: nothing outside BACKUP_DIR, nothing another row names.
            await storage.removeArchive(of: backup, backups: backups, logger: logger)
        }
        if !deleted.isEmpty {
            logger.info("retention removed backups", metadata: ["schedule": "\(schedule.id)", "count": "\(deleted.count)", "kept": "\(kept.count)"])
        }
        return deleted
    }
}

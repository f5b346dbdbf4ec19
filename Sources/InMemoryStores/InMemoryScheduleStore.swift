package import Foundation
package import Records

/// Schedule rows in memory; `advance` is the same compare-and-set as the table's.
package actor InMemoryScheduleStore: BackupScheduleStore {
    package private(set) var rows: [UUID: BackupSchedule] = [:]
    private var failure: RecordError?

    package init(_ rows: [BackupSchedule] = []) {
        for row in rows { self.rows[row.id] = row }
    }

    package func failing(_ error: RecordError?) { failure = error }

    package func put(_ schedule: BackupSchedule) { rows[schedule.id] = schedule }

    package func due(at now: Date, limit: Int) async throws(RecordError) -> [BackupSchedule] {
        if let failure { throw failure }
        let due = rows.values.filter { $0.enabled && ($0.nextRunAt.map { $0 <= now } ?? false) }
        return Array(due.sorted { ($0.nextRunAt ?? .distantPast) < ($1.nextRunAt ?? .distantPast) }.prefix(limit))
    }

    package func advance(id: UUID, from expected: Date, to next: Date?, ran: Date?, skipped: Int, lastSkipped: Date?) async throws(RecordError) -> Bool {
        if let failure { throw failure }
        guard var row = rows[id], row.nextRunAt == expected else { return false }
        row.nextRunAt = next
        row.lastRunAt = ran ?? expected
        row.skippedRuns += Int64(skipped)
        if let lastSkipped { row.lastSkippedAt = lastSkipped }
        rows[id] = row
        return true
    }

    package func recordOutcome(id: UUID, status: String, error: String?) async throws(RecordError) {
        if let failure { throw failure }
        rows[id]?.lastStatus = status
        rows[id]?.lastError = error
    }
}

public import Foundation

/// The schedule rows the scheduler reads and advances; `BackupScheduleRepository` in PostgreSQL,
/// or in memory for the fast tier.
public protocol BackupScheduleStore: Sendable {
    /// Enabled schedules due at `now`, oldest due first.
    func due(at now: Date, limit: Int) async throws(RecordError) -> [BackupSchedule]
    /// Moves `next_run_at` from `expected` to `next` only if nobody else did; returns whether this caller won.
    func advance(id: UUID, from expected: Date, to next: Date?, ran: Date?, skipped: Int, lastSkipped: Date?) async throws(RecordError) -> Bool
    func recordOutcome(id: UUID, status: String, error: String?) async throws(RecordError)
}

extension BackupScheduleRepository: BackupScheduleStore {}

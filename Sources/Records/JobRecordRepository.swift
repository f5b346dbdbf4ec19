public import Foundation
import PostgresClient

/// The rows the platform runs work for (backups, scans and updates) share one shape: the same
/// status columns moved the same way (`RecordLifecycle`), found by id, listed newest first by
/// server and status. A repository names its table in `records` and gets these from here.
public protocol JobRecordRepository: Sendable {
    associatedtype Record: Sendable, Codable
    /// The repository's table (opaque outside Records).
    var records: RecordTable<Record> { get }
}

extension JobRecordRepository {
    public func find(id: UUID) async throws(RecordError) -> Record? {
        try await records.find(id: id)
    }

    /// Newest first, optionally of one server and in one status.
    public func list(_ page: Page = Page(), serverId: UUID? = nil, status: RecordStatus? = nil) async throws(RecordError) -> PageOf<Record> {
        try await records.list(page, serverId: serverId, status: status)
    }

    /// A new attempt starts; refused (conflict) once the record is completed.
    public func markRunning(id: UUID, jobId: String?) async throws(RecordError) {
        try await records.lifecycle.markRunning(id: id, jobId: jobId)
    }

    /// The record's job reached Redis.
    public func markEnqueued(id: UUID) async throws(RecordError) {
        try await records.lifecycle.markEnqueued(id: id)
    }

    /// The final failure, written once after the last attempt.
    public func markFailed(id: UUID, error: String) async throws(RecordError) {
        try await records.lifecycle.markFailed(id: id, error: error)
    }
}

/// One table of job records: its name and columns, and how a row decodes.
public struct RecordTable<Record: Sendable & Codable>: Sendable {
    let lifecycle: RecordLifecycle
    let columns: String
    let decode: @Sendable (PostgresRow) throws -> Record
    /// Whether the table has a `schedule_id` column (backups).
    let hasSchedules: Bool

    /// The table `name` of `Record`s, read by their own `columns` and row decoding.
    init(_ name: StaticString, hasSchedules: Bool = false, database: PostgresPool) where Record: RowRecord {
        lifecycle = RecordLifecycle(table: name, database: database)
        columns = Record.columns
        self.hasSchedules = hasSchedules
        decode = { try Record(row: $0) }
    }

    var database: PostgresPool { lifecycle.database }

    func find(id: UUID) async throws(RecordError) -> Record? {
        try await database.find(in: lifecycle.table, columns: columns, id: id, decode: decode)
    }

    /// `scheduleId` narrows to one schedule's records (backups only: the other tables have none).
    func list(_ page: Page, serverId: UUID?, status: RecordStatus?, scheduleId: UUID? = nil) async throws(RecordError) -> PageOf<Record> {
        if scheduleId != nil, !hasSchedules { throw RecordError(.invalid, field: "scheduleId", "\(lifecycle.table) have no schedules") }
        var parameters: [(any PostgresEncodable)?] = [serverId, status?.rawValue]
        if let scheduleId { parameters.append(scheduleId) }
        let ofSchedule = scheduleId == nil ? "" : " AND schedule_id = $5"
        return try await database.page(
            of: lifecycle.table, columns: columns, where: "($3::uuid IS NULL OR server_id = $3) AND ($4::text IS NULL OR status = $4)" + ofSchedule,
            orderBy: "created_at DESC, id", page, parameters, decode: decode)
    }
}

public import Foundation
public import PostgresClient

/// The backups, scans and updates that are not finished, across the three tables: what the
/// reconciler looks at after a crash.
public struct RecordLedger: Sendable {
    public enum Table: String, Sendable, CaseIterable {
        case backups, scans, updates
    }

    /// One unfinished record. `variant` is the backup kind, scan type or update mode, which
    /// decides the job name.
    public struct Entry: Sendable, Equatable {
        public var table: Table
        public var id: UUID
        public var serverId: UUID
        public var status: RecordStatus
        public var variant: String
        public var createdAt: Date
        public var enqueuedAt: Date?
    }

    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    /// Pending records created before `cutoff` whose job never reached Redis.
    public func notEnqueued(createdBefore cutoff: Date, limit: Int = 500) async throws(RecordError) -> [Entry] {
        try await entries("status = 'pending' AND enqueued_at IS NULL AND created_at < $1", [cutoff], limit: limit)
    }

    /// Pending or running records whose job was enqueued: their jobs should still exist.
    public func enqueuedUnfinished(limit: Int = 1000) async throws(RecordError) -> [Entry] {
        try await entries("status IN ('pending', 'running') AND enqueued_at IS NOT NULL", [], limit: limit)
    }

    public func markEnqueued(_ entry: Entry) async throws(RecordError) {
        try await lifecycle(entry.table).markEnqueued(id: entry.id)
    }

    public func markFailed(_ entry: Entry, error: String) async throws(RecordError) {
        try await lifecycle(entry.table).markFailed(id: entry.id, error: error)
    }

    private func lifecycle(_ table: Table) -> RecordLifecycle {
        switch table {
        case .backups: RecordLifecycle(table: "backups", database: database)
        case .scans: RecordLifecycle(table: "scans", database: database)
        case .updates: RecordLifecycle(table: "updates", database: database)
        }
    }

    /// `condition` is our own SQL; its `$n` are `parameters`.
    private func entries(_ condition: String, _ parameters: [(any PostgresEncodable)?], limit: Int) async throws(RecordError) -> [Entry] {
        try await recording {
            let rows = try await database.query(
                """
                SELECT 'backups' AS source, id, server_id, status, kind AS variant, created_at, enqueued_at FROM backups WHERE \(condition)
                UNION ALL
                SELECT 'scans', id, server_id, status, scan_type, created_at, enqueued_at FROM scans WHERE \(condition)
                UNION ALL
                SELECT 'updates', id, server_id, status, mode, created_at, enqueued_at FROM updates WHERE \(condition)
                ORDER BY created_at LIMIT \(limit)
                """, parameters
            ).rows
            return try rows.map { row in
                Entry(
                    table: Table(rawValue: try row.decode("source")) ?? .backups, id: try row.decode("id"), serverId: try row.decode("server_id"),
                    status: RecordStatus(rawValue: try row.decode("status")) ?? .pending, variant: try row.decode("variant"),
                    createdAt: try row.decode("created_at"), enqueuedAt: try row.decodeIfPresent("enqueued_at"))
            }
        }
    }
}

public import Foundation
public import JSONSupport
public import PostgresClient

public enum UpdateMode: String, Sendable, Codable { case check, apply }

/// An OS package update run (or check) on a server.
public struct Update: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var serverId: UUID
    public var mode: UpdateMode
    public var status: RecordStatus
    public var packageManager: String?
    public var upgradable: JSONValue
    public var upgraded: JSONValue
    public var rebootRequired: Bool?
    public var log: String
    public var jobId: String?
    public var attempts: Int
    public var startedAt: Date?
    public var completedAt: Date?
    public var error: String?
    public var createdAt: Date

    static let columns = """
        id, server_id, mode, status, package_manager, upgradable, upgraded, reboot_required, log, job_id, attempts, started_at,
        completed_at, error, created_at
        """

    /// The most log kept per update; older output is cut from the front.
    public static let maximumLogLength = 262_144

    /// A new update as its row starts out (the fast test tier's stores make them).
    public init(id: UUID = UUID(), serverId: UUID, mode: UpdateMode, jobId: String? = nil, at date: Date = Date()) {
        self.id = id
        self.serverId = serverId
        self.mode = mode
        self.jobId = jobId
        status = .pending
        upgradable = .array([])
        upgraded = .array([])
        log = ""
        attempts = 0
        createdAt = date
    }
}

public struct UpdateRepository: JobRecordRepository {
    let database: PostgresPool
    public var records: RecordTable<Update> { RecordTable("updates", database: database) }

    public init(database: PostgresPool) {
        self.database = database
    }

    public func create(id: UUID = UUID(), serverId: UUID, mode: UpdateMode, jobId: String? = nil) async throws(RecordError) -> Update {
        try await recording {
            let row = try await database.query(
                "INSERT INTO updates (id, server_id, mode, job_id) VALUES ($1, $2, $3, $4) RETURNING \(Update.columns)",
                [id, serverId, mode.rawValue, jobId]
            ).first
            return try Update(row: try row.orNotFound("update"))
        }
    }

    public func complete(
        id: UUID, packageManager: String, upgradable: JSONValue, upgraded: JSONValue, rebootRequired: Bool?,
        log: String
    ) async throws(RecordError) -> Update {
        try await recording {
            let row = try await database.query(
                """
                UPDATE updates SET status = 'completed', package_manager = $2, upgradable = $3, upgraded = $4, reboot_required = $5,
                    log = $6, error = NULL, completed_at = greatest(now(), coalesce(started_at, now())), updated_at = now()
                WHERE id = $1 RETURNING \(Update.columns)
                """,
                [
                    id, packageManager, PostgresJSON(upgradable), PostgresJSON(upgraded), rebootRequired,
                    String(log.suffix(Update.maximumLogLength)),
                ]
            ).first
            return try Update(row: try row.orNotFound("update"))
        }
    }
}

extension Update: RowRecord {}

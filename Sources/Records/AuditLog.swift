public import Foundation
public import JSONSupport
public import PostgresClient

/// Who did what to which resource, and how it went.
public struct AuditEntry: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable { case success, failure, denied }

    public var id: Int64
    @LowercaseOptionalUUID public var userId: UUID?
    public var actor: String
    public var action: String
    public var resourceType: String
    public var resourceId: String?
    public var outcome: Outcome
    public var clientAddress: String?
    public var details: JSONValue
    public var createdAt: Date

    static let columns = "id, user_id, actor, action, resource_type, resource_id, outcome, client_address, details, created_at"

    public init(
        id: Int64, userId: UUID?, actor: String, action: String, resourceType: String, resourceId: String?, outcome: Outcome,
        clientAddress: String?, details: JSONValue, at date: Date = Date()
    ) {
        self.id = id
        self.userId = userId
        self.actor = actor
        self.action = action
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.outcome = outcome
        self.clientAddress = clientAddress
        self.details = details
        createdAt = date
    }
}

public struct AuditLogRepository: Sendable {
    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    @discardableResult
    public func record(
        userId: UUID?, actor: String, action: String, resourceType: String, resourceId: String? = nil,
        outcome: AuditEntry.Outcome, clientAddress: String? = nil, details: JSONValue = .object([:])
    ) async throws(RecordError) -> AuditEntry {
        try await recording {
            let row = try await database.query(
                """
                INSERT INTO audit_log (user_id, actor, action, resource_type, resource_id, outcome, client_address, details)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING \(AuditEntry.columns)
                """, [userId, actor, action, resourceType, resourceId, outcome.rawValue, clientAddress, PostgresJSON(details)]
            ).first
            return try AuditEntry(row: try row.orNotFound("audit entry"))
        }
    }

    public func list(_ page: Page = Page(), resourceType: String? = nil, resourceId: String? = nil, userId: UUID? = nil) async throws(RecordError) -> PageOf<AuditEntry> {
        try await database.page(
            of: "audit_log", where: "($3::text IS NULL OR resource_type = $3) AND ($4::text IS NULL OR resource_id = $4) AND ($5::uuid IS NULL OR user_id = $5)",
            orderBy: "created_at DESC, id DESC", page, [resourceType, resourceId, userId])
    }
}

extension AuditEntry: RowRecord {}

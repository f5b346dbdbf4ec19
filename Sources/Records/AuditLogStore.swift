public import Foundation
public import JSONSupport

/// Where audit entries go; `AuditLogRepository` in PostgreSQL, or in memory for the fast tier.
public protocol AuditLogStore: Sendable {
    @discardableResult
    func record(
        userId: UUID?, actor: String, action: String, resourceType: String, resourceId: String?,
        outcome: AuditEntry.Outcome, clientAddress: String?, details: JSONValue
    ) async throws(RecordError) -> AuditEntry
}

extension AuditLogRepository: AuditLogStore {}

package import Foundation
package import JSONSupport
package import Records

/// Audit entries in memory, in the order they were written.
package actor InMemoryAuditLog: AuditLogStore {
    package private(set) var entries: [AuditEntry] = []

    package init() {}

    @discardableResult
    package func record(
        userId: UUID?, actor: String, action: String, resourceType: String, resourceId: String?,
        outcome: AuditEntry.Outcome, clientAddress: String?, details: JSONValue
    ) async throws(RecordError) -> AuditEntry {
        let entry = AuditEntry(
            id: Int64(entries.count + 1), userId: userId, actor: actor, action: action, resourceType: resourceType, resourceId: resourceId,
            outcome: outcome, clientAddress: clientAddress, details: details)
        entries.append(entry)
        return entry
    }
}

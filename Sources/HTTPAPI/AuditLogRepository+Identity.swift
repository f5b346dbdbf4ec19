import JSONSupport
import Records

extension AuditLogRepository {
    /// Records a successful write by `identity`; the resource type is the action's first word.
    func record(
        _ identity: Identity, _ action: String, resource: String, outcome: AuditEntry.Outcome = .success,
        _ details: JSONValue = .object([:])
    ) async throws {
        try await record(
            userId: identity.userId, actor: identity.username, action: action, resourceType: String(action.prefix { $0 != "." }),
            resourceId: resource, outcome: outcome, details: details)
    }
}

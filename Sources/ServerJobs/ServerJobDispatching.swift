package import Foundation

/// Enqueues the job for a record (job id = record id unless given): `ServerJobDispatcher` into
/// the Redis queues; the fast test tier in memory.
package protocol ServerJobDispatching: Sendable {
    @discardableResult
    func enqueue(_ name: ServerJobName, recordId: UUID, serverId: UUID?, jobId: String?, payload: ServerJobPayload?) async throws -> String
}

extension ServerJobDispatching {
    @discardableResult
    package func enqueue(_ name: ServerJobName, recordId: UUID, serverId: UUID? = nil) async throws -> String {
        try await enqueue(name, recordId: recordId, serverId: serverId, jobId: nil, payload: nil)
    }
}

extension ServerJobDispatcher: ServerJobDispatching {}

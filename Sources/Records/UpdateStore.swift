public import Foundation

/// The update rows the launcher creates; `UpdateRepository` in PostgreSQL, or in memory for the fast tier.
public protocol UpdateStore: Sendable {
    func create(id: UUID, serverId: UUID, mode: UpdateMode, jobId: String?) async throws(RecordError) -> Update
    func markEnqueued(id: UUID) async throws(RecordError)
}

extension UpdateRepository: UpdateStore {}

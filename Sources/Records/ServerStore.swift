import Foundation

/// The server rows a job attempt looks up; `ServerRepository` in PostgreSQL, or in memory for the fast tier.
public protocol ServerStore: Sendable {
    func find(id: UUID) async throws(RecordError) -> Server?
}

extension ServerRepository: ServerStore {}

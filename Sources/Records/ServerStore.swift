public import Foundation

/// The server rows a job attempt reads; `ServerRepository` in PostgreSQL, or in memory for the fast tier.
public protocol ServerStore: Sendable {
    /// The server and its opened credential, in one read; nil when no server has this id.
    func connectable(id: UUID) async throws(RecordError) -> ConnectableServer?
}

extension ServerRepository: ServerStore {}

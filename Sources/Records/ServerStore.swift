public import Foundation

/// The server rows a job attempt reads; `ServerRepository` in PostgreSQL, or in memory for the fast tier.
public protocol ServerStore: Sendable {
    /// The server and its sealed credential, in one read; nil when no server has this id.
    func connectable(id: UUID) async throws(RecordError) -> ConnectableServer?
    /// Opens a server's stored credential, for the SSH client only.
    func open(_ credential: StoredCredential, of serverId: UUID) throws(RecordError) -> ServerCredential
}

extension ServerRepository: ServerStore {}

package import Foundation

/// One job per server at a time: `ServerLease` holds it in Redis; the fast test tier in memory.
package protocol ServerLeasing: Sendable {
    /// How long a lease lasts unless renewed; holders renew it every third of that.
    var duration: Duration { get }
    /// Takes the lease for `token`; false when another job holds it.
    func acquire(_ serverId: UUID, token: String) async throws -> Bool
    /// Extends the lease if `token` still holds it; false when it is gone or taken.
    func renew(_ serverId: UUID, token: String) async throws -> Bool
    func release(_ serverId: UUID, token: String) async throws
}

/// A renewal found the server's lease gone or held by another token.
package struct ServerLeaseLost: Error, Sendable {
    package init() {}
}

extension ServerLease: ServerLeasing {}

package import Foundation
import ServerJobs

/// Server leases in memory. `revoke` takes a lease away as a Redis restart without its last
/// writes would; renewals then find it gone.
package actor InMemoryLease: ServerLeasing {
    package nonisolated let duration: Duration
    package private(set) var holders: [UUID: String] = [:]
    package private(set) var renewals = 0

    package init(duration: Duration = .seconds(60)) {
        self.duration = duration
    }

    /// Another job holds the server's lease.
    package func hold(_ serverId: UUID, for token: String) { holders[serverId] = token }

    package func revoke(_ serverId: UUID) { holders[serverId] = nil }

    package func acquire(_ serverId: UUID, token: String) async throws -> Bool {
        guard holders[serverId] == nil else { return false }
        holders[serverId] = token
        return true
    }

    package func renew(_ serverId: UUID, token: String) async throws -> Bool {
        renewals += 1
        return holders[serverId] == token
    }

    package func release(_ serverId: UUID, token: String) async throws {
        if holders[serverId] == token { holders[serverId] = nil }
    }
}

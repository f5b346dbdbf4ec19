package import Foundation
package import Records

/// Server rows in memory, each with its credential.
package actor InMemoryServerStore: ServerStore {
    package private(set) var rows: [UUID: ConnectableServer] = [:]
    private var failure: RecordError?

    package init() {}

    /// Every later read fails with `error` (nil: they succeed again).
    package func failing(_ error: RecordError?) { failure = error }

    package func put(_ server: Server, credential: ServerCredential = ServerCredential(authType: .key, secret: "key")) {
        rows[server.id] = ConnectableServer(server: server, credential: credential)
    }

    package func remove(id: UUID) { rows[id] = nil }

    package func connectable(id: UUID) async throws(RecordError) -> ConnectableServer? {
        if let failure { throw failure }
        return rows[id]
    }
}

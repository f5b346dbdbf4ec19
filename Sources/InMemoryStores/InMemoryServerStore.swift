import Foundation
import Records

/// Server rows in memory.
package actor InMemoryServerStore: ServerStore {
    package private(set) var rows: [UUID: Server] = [:]

    package init(_ rows: [Server] = []) {
        for row in rows { self.rows[row.id] = row }
    }

    package func put(_ server: Server) { rows[server.id] = server }

    package func remove(id: UUID) { rows[id] = nil }

    package func find(id: UUID) async throws(RecordError) -> Server? { rows[id] }
}

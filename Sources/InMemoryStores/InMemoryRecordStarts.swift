package import Foundation
package import Records

/// Scan and update rows in memory, as the launcher creates them.
package actor InMemoryRecordStarts: ScanStore, UpdateStore {
    package private(set) var scans: [UUID: Scan] = [:]
    package private(set) var updates: [UUID: Update] = [:]
    package private(set) var enqueued: Set<UUID> = []

    package init() {}

    package func create(id: UUID, serverId: UUID, scanType: ScanType, jobId: String?) async throws(RecordError) -> Scan {
        let scan = Scan(id: id, serverId: serverId, scanType: scanType, jobId: jobId)
        scans[id] = scan
        return scan
    }

    package func create(id: UUID, serverId: UUID, mode: UpdateMode, jobId: String?) async throws(RecordError) -> Update {
        let update = Update(id: id, serverId: serverId, mode: mode, jobId: jobId)
        updates[id] = update
        return update
    }

    package func markEnqueued(id: UUID) async throws(RecordError) {
        if scans[id] != nil || updates[id] != nil { enqueued.insert(id) }
    }
}

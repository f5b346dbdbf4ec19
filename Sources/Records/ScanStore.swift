public import Foundation

/// The scan rows the launcher creates; `ScanRepository` in PostgreSQL, or in memory for the fast tier.
public protocol ScanStore: Sendable {
    func create(id: UUID, serverId: UUID, scanType: ScanType, jobId: String?) async throws(RecordError) -> Scan
    func markEnqueued(id: UUID) async throws(RecordError)
}

extension ScanRepository: ScanStore {}

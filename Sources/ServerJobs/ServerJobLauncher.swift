package import Foundation
import JSONSupport
package import Records

/// Starts work the one safe way: commit the record, enqueue its job (id = record id), then mark
/// the record enqueued. A crash between the first two leaves a record the reconciler enqueues;
/// enqueueing twice is a no-op, because the job id is the record id.
package struct ServerJobLauncher: Sendable {
    let dispatcher: any ServerJobDispatching
    let backups: any BackupStore
    let scans: any ScanStore
    let updates: any UpdateStore

    package init(dispatcher: any ServerJobDispatching, backups: any BackupStore, scans: any ScanStore, updates: any UpdateStore) {
        self.dispatcher = dispatcher
        self.backups = backups
        self.scans = scans
        self.updates = updates
    }

    /// `type` incremental asks for a backup of what changed since the chain's newest backup.
    package func startBackup(
        serverId: UUID, paths: [String], exclusions: [String], compression: Compression,
        type: BackupType = .full
    ) async throws -> (record: Backup, jobId: String) {
        let record = try await backups.create(
            id: UUID(), serverId: serverId, kind: .manual, paths: paths, exclusions: exclusions, compression: compression,
            scheduleId: nil, jobId: nil, metadata: ["requestedType": .string(type.rawValue)])
        let jobId = try await dispatcher.enqueue(.manualBackup, recordId: record.id, serverId: serverId)
        try await backups.markEnqueued(id: record.id)
        return (record, jobId)
    }

    /// Enqueues a scheduled backup's job (its row exists already).
    @discardableResult
    package func enqueueScheduled(_ record: Backup) async throws -> String {
        let jobId = try await dispatcher.enqueue(.scheduledBackup, recordId: record.id, serverId: record.serverId)
        try await backups.markEnqueued(id: record.id)
        return jobId
    }

    package func startScan(serverId: UUID, type: ScanType) async throws -> (record: Scan, jobId: String) {
        let record = try await scans.create(id: UUID(), serverId: serverId, scanType: type, jobId: nil)
        let jobId = try await dispatcher.enqueue(Self.jobName(scanType: type.rawValue), recordId: record.id, serverId: serverId)
        try await scans.markEnqueued(id: record.id)
        return (record, jobId)
    }

    package func startUpdate(serverId: UUID, mode: UpdateMode) async throws -> (record: Update, jobId: String) {
        let record = try await updates.create(id: UUID(), serverId: serverId, mode: mode, jobId: nil)
        let jobId = try await dispatcher.enqueue(.update, recordId: record.id, serverId: serverId)
        try await updates.markEnqueued(id: record.id)
        return (record, jobId)
    }

    /// Enqueues the job of a record found without one (see `RecordLedger.notEnqueued`).
    @discardableResult
    package func enqueue(_ entry: RecordLedger.Entry, ledger: RecordLedger) async throws -> String {
        let name: ServerJobName
        switch entry.table {
        case .backups: name = entry.variant == BackupKind.scheduled.rawValue ? .scheduledBackup : .manualBackup
        case .scans: name = Self.jobName(scanType: entry.variant)
        case .updates: name = .update
        }
        let jobId = try await dispatcher.enqueue(name, recordId: entry.id, serverId: entry.serverId)
        try await ledger.markEnqueued(entry)
        return jobId
    }

    static func jobName(scanType: String) -> ServerJobName {
        scanType == ScanType.quick.rawValue ? .quickScan : .fullScan
    }
}

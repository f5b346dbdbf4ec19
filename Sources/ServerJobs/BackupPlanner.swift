package import Foundation
package import Records

/// Decides what kind of archive a backup attempt writes: incremental on top of the newest intact
/// backup of the same paths when one was asked for and the chain can continue, full otherwise.
/// A full backup starts a new chain (an empty snapshot), so a later incremental can build on it.
package struct BackupPlanner: Sendable {
    /// What the attempt writes and what its row records at completion.
    package struct Plan: Sendable, Equatable {
        package var type: BackupType
        package var base: UUID?
        package var chainPosition: Int
        /// The snapshot tar starts from (empty for a full backup).
        package var tarSnapshot: [UInt8]
        /// Why an incremental that was asked for became full; nil otherwise.
        package var fullBecause: String?
    }

    /// Chains longer than this restart with a full backup: every restore applies the whole chain.
    package static let maxChainLength = 400

    let backups: BackupRepository

    package init(backups: BackupRepository) {
        self.backups = backups
    }

    /// `requested` comes from the request or schedule (`metadata.requestedType`); `fullEveryDays`
    /// from the schedule.
    package func plan(_ record: Backup, requested: BackupType, fullEveryDays: Int?, now: Date = Date()) async throws(RecordError) -> Plan {
        let full = { (reason: String?) in Plan(type: .full, base: nil, chainPosition: 0, tarSnapshot: [], fullBecause: reason) }
        guard requested == .incremental else { return full(nil) }
        guard
            let head = try await backups.chainHead(
                serverId: record.serverId, paths: record.paths, exclusions: record.exclusions,
                compression: record.compression)
        else {
            return full("no intact earlier backup of these paths to build on")
        }
        let chain: [Backup]
        do {
            chain = try await backups.chain(endingAt: head.backup.id)
        } catch {
            return full("the chain of \(head.backup.id.lowercasedString) is broken: \(error.message)")
        }
        guard let first = chain.first, first.backupType == .full, chain.allSatisfy({ $0.verification != .failed && $0.filePath != nil }) else {
            return full("a backup in the chain of \(head.backup.id.lowercasedString) failed verification or lost its archive")
        }
        guard chain.count < Self.maxChainLength else { return full("the chain reached \(Self.maxChainLength) backups") }
        if let days = fullEveryDays, let started = first.completedAt, now.timeIntervalSince(started) >= Double(days) * 86_400 {
            return full("the schedule takes a full backup every \(days) day(s)")
        }
        return Plan(
            type: .incremental, base: head.backup.id, chainPosition: head.backup.chainPosition + 1,
            tarSnapshot: head.snapshot, fullBecause: nil)
    }
}

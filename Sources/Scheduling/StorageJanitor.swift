import BlockingIO
import Foundation
import Logging
import Records
import ServerJobs

/// Removes what interrupted or deleted backups leave in the backup directory: partial files of
/// backups that are not running, and archives no backup row points at (once `orphanAge` old, so
/// an archive renamed a moment before its row is written is safe).
public struct StorageJanitor: Sendable {
    let storage: BackupStorage
    let backups: BackupRepository
    let orphanAge: Duration
    let logger: Logger

    public init(storage: BackupStorage, backups: BackupRepository, orphanAge: Duration = .seconds(3600), logger: Logger) {
        self.storage = storage
        self.backups = backups
        self.orphanAge = orphanAge
        self.logger = logger
    }

    public struct Report: Sendable, Equatable {
        public var partials: Int
        public var orphans: Int

        public init(partials: Int = 0, orphans: Int = 0) {
            self.partials = partials
            self.orphans = orphans
        }
    }

    /// Reads what must stay from PostgreSQL, then walks the directory on a thread of its own (a
    /// large backup tree would otherwise hold a cooperative-pool thread for the whole walk).
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> Report {
        let running = Set(try await backups.running().map(\.id))
        let referenced = try await backups.filePaths()
        let oldest = now.addingTimeInterval(-Double(orphanAge.components.seconds))
        let report = await BlockingWork.run { [storage, logger] in
            Self.walk(storage: storage, running: running, referenced: referenced, olderThan: oldest, logger: logger)
        }
        if report != Report() {
            logger.notice("backup directory swept", metadata: ["partials": "\(report.partials)", "orphans": "\(report.orphans)"])
        }
        return report
    }

    private static func walk(storage: BackupStorage, running: Set<UUID>, referenced: Set<String>, olderThan oldest: Date, logger: Logger) -> Report {
        var report = Report()
        let fileManager = FileManager.default
        guard let walker = fileManager.enumerator(atPath: storage.root) else { return report }
        while let relative = walker.nextObject() as? String {
            let path = storage.root + "/" + relative
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix("."), name.hasSuffix(".partial") {
                guard let id = UUID(uuidString: String(name.dropFirst().prefix(36))), !running.contains(id) else { continue }
                storage.removeArchive(at: path, logger: logger)
                report.partials += 1
            } else if BackupStorage.isArchiveName(name), !referenced.contains(path) {
                let modified = (try? fileManager.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? oldest
                guard modified < oldest else { continue }
                storage.removeArchive(at: path, logger: logger)
                report.orphans += 1
            }
        }
        return report
    }
}

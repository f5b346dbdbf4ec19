public import Foundation
public import JSONSupport

/// The backup rows the launcher, scheduler, retention and janitor work with. `BackupRepository`
/// keeps them in PostgreSQL; the fast test tier keeps them in memory.
public protocol BackupStore: Sendable {
    func create(
        id: UUID, serverId: UUID, kind: BackupKind, paths: [String], exclusions: [String], compression: Compression,
        scheduleId: UUID?, jobId: String?, metadata: JSONValue
    ) async throws(RecordError) -> Backup
    /// The backup of one schedule occurrence, created once; later callers get it with `created == false`.
    func createScheduled(id: UUID, schedule: BackupSchedule, dueAt: Date, metadata: JSONValue) async throws(RecordError) -> (backup: Backup, created: Bool)
    func markEnqueued(id: UUID) async throws(RecordError)
    func find(id: UUID) async throws(RecordError) -> Backup?
    /// A schedule's completed backups, newest first.
    func completed(scheduleId: UUID) async throws(RecordError) -> [Backup]
    func delete(id: UUID) async throws(RecordError) -> Bool
    /// How many rows other than `id` have a stored path ending in the file name `fileName`.
    func references(toArchiveNamed fileName: String, excluding id: UUID) async throws(RecordError) -> Int64
    /// Backups being written now.
    func running() async throws(RecordError) -> [Backup]
    /// Every backup id, and the file name every stored path ends in.
    func archiveReferences() async throws(RecordError) -> (ids: Set<UUID>, fileNames: Set<String>)
}

extension BackupRepository: BackupStore {}

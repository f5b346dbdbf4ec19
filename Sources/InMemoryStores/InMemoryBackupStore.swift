package import Foundation
package import JSONSupport
package import Records

/// Backup rows in memory, with the same rules as the table: one row per id, one per schedule
/// occurrence, `completed` newest first. `failing` makes every call fail as a database outage does.
package actor InMemoryBackupStore: BackupStore {
    package private(set) var rows: [UUID: Backup] = [:]
    package private(set) var enqueued: Set<UUID> = []
    private var failure: RecordError?

    package init(_ rows: [Backup] = []) {
        for row in rows { self.rows[row.id] = row }
    }

    /// Every later call fails with `error` (nil: they succeed again).
    package func failing(_ error: RecordError?) { failure = error }

    /// Adds or replaces a row as a test sets the scene.
    package func put(_ backup: Backup) { rows[backup.id] = backup }

    private func check() throws(RecordError) {
        if let failure { throw failure }
    }

    package func create(
        id: UUID, serverId: UUID, kind: BackupKind, paths: [String], exclusions: [String], compression: Compression,
        scheduleId: UUID?, jobId: String?, metadata: JSONValue
    ) async throws(RecordError) -> Backup {
        try check()
        guard rows[id] == nil else { throw RecordError(.conflict, field: "id", "a backup with this id exists") }
        let backup = Backup(
            id: id, serverId: serverId, scheduleId: scheduleId, kind: kind, paths: paths, exclusions: exclusions, compression: compression,
            jobId: jobId, metadata: metadata)
        rows[id] = backup
        return backup
    }

    package func createScheduled(id: UUID, schedule: BackupSchedule, dueAt: Date, metadata: JSONValue) async throws(RecordError) -> (backup: Backup, created: Bool) {
        try check()
        if let existing = rows[id] ?? rows.values.first(where: { $0.scheduleId == schedule.id && $0.dueAt == dueAt }) {
            return (existing, false)
        }
        let backup = Backup(
            id: id, serverId: schedule.serverId, scheduleId: schedule.id, kind: .scheduled, paths: schedule.paths,
            exclusions: schedule.exclusions, compression: schedule.compression, metadata: schedule.backupMetadata(metadata), dueAt: dueAt)
        rows[id] = backup
        return (backup, true)
    }

    package func markEnqueued(id: UUID) async throws(RecordError) {
        try check()
        if rows[id] != nil { enqueued.insert(id) }
    }

    package func find(id: UUID) async throws(RecordError) -> Backup? {
        try check()
        return rows[id]
    }

    package func completed(scheduleId: UUID) async throws(RecordError) -> [Backup] {
        try check()
        return rows.values.filter { $0.scheduleId == scheduleId && $0.status == .completed }
            .sorted { ($0.completedAt ?? .distantPast, $1.id.uuidString) > ($1.completedAt ?? .distantPast, $0.id.uuidString) }
    }

    package func delete(id: UUID) async throws(RecordError) -> Bool {
        try check()
        enqueued.remove(id)
        return rows.removeValue(forKey: id) != nil
    }

    package func references(toArchiveNamed fileName: String, excluding id: UUID) async throws(RecordError) -> Int64 {
        try check()
        return Int64(rows.values.filter { $0.id != id && $0.filePath.map(Self.fileName(of:)) == fileName }.count)
    }

    package func running() async throws(RecordError) -> [Backup] {
        try check()
        return rows.values.filter { $0.status == .running }
    }

    package func archiveReferences() async throws(RecordError) -> (ids: Set<UUID>, fileNames: Set<String>) {
        try check()
        return (Set(rows.keys), Set(rows.values.compactMap { $0.filePath.map(Self.fileName(of:)) }))
    }

    /// What the table's `regexp_replace(file_path, '^.*/', '')` gives.
    private static func fileName(of path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }
}

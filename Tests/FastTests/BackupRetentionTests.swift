import Foundation
import InMemoryStores
import Records
import ServerJobs
import Testing

/// Retention over an in-memory table and a scratch backup directory: rows first, then files;
/// nothing another row names, nothing when the table cannot be read.
@Suite final class BackupRetentionTests {
    let backups = InMemoryBackupStore()
    let root: String
    let schedule = BackupSchedule(ScheduleDefinition(serverId: UUID(), cron: "0 3 * * *", paths: ["/etc"], retention: RetentionPolicy(keepLast: 2)), nextRunAt: nil)

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mm-retention-\(UUID().lowercasedString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// A completed backup of the schedule, `daysAgo` old, with its archive on disk.
    func completedBackup(daysAgo: Int) async throws -> Backup {
        let id = UUID()
        let relative = "\(schedule.serverId.lowercasedString)/2026/11/\(id.lowercasedString).tar.gz"
        let directory = (root + "/" + relative as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("archive".utf8).write(to: URL(fileURLWithPath: root + "/" + relative))
        let backup = Backup(
            id: id, serverId: schedule.serverId, scheduleId: schedule.id, kind: .scheduled, status: .completed, paths: ["/etc"], filePath: relative,
            completedAt: Date().addingTimeInterval(Double(-daysAgo * 86_400)))
        await backups.put(backup)
        return backup
    }

    func exists(_ backup: Backup) -> Bool { FileManager.default.fileExists(atPath: root + "/" + (backup.filePath ?? "")) }

    func retention() -> BackupRetention { BackupRetention(backups: backups, storage: BackupStorage(root: root), logger: quietLogger()) }

    @Test func theNewestAreKeptAndTheRestDeletedRowsAndFiles() async throws {
        var made: [Backup] = []
        for day in 0..<5 { made.append(try await completedBackup(daysAgo: day)) }
        let deleted = try await retention().apply(to: schedule)
        #expect(Set(deleted) == Set(made[2...].map(\.id)))
        #expect(Set(await backups.rows.keys) == Set(made[..<2].map(\.id)))
        #expect(made[..<2].allSatisfy(exists) && !made[2...].contains(where: exists))
    }

    @Test func anArchiveAnotherRowStillNamesStays() async throws {
        let newest = try await completedBackup(daysAgo: 0)
        _ = try await completedBackup(daysAgo: 1)
        let old = try await completedBackup(daysAgo: 5)
        // A row outside the schedule names the old backup's archive (as a hand-made copy would).
        await backups.put(Backup(serverId: schedule.serverId, kind: .manual, status: .completed, paths: ["/etc"], filePath: old.filePath))
        let deleted = try await retention().apply(to: schedule)
        #expect(deleted == [old.id])
        #expect(exists(old) && exists(newest))
    }

    /// A schedule is shown as one flat object; a field name its two halves shared would lose a value.
    @Test func aSchedulesTwoHalvesNeverShareAField() throws {
        func keys(_ value: some Encodable) throws -> Set<String> {
            Set((try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any] ?? [:]).keys)
        }
        var full = schedule
        full.fullEveryDays = 7
        (full.lastRunAt, full.nextRunAt) = (Date(), Date())
        full.lastSkippedAt = Date()
        (full.lastStatus, full.lastError) = ("failed", "disk full")
        let definition = try keys(full.definition)
        let bookkeeping = try keys(full.bookkeeping)
        #expect(definition.isDisjoint(with: bookkeeping))
        #expect(try keys(full) == definition.union(bookkeeping) && definition.count + bookkeeping.count == 20)
    }

    @Test func retentionThatCannotReadTheTableDeletesNothing() async throws {
        var made: [Backup] = []
        for day in 0..<4 { made.append(try await completedBackup(daysAgo: day)) }
        await backups.failing(RecordError(.unavailable, field: nil, "connection refused"))
        await #expect(throws: RecordError.self) { try await retention().apply(to: schedule) }
        await backups.failing(nil)
        #expect(await backups.rows.count == 4 && made.allSatisfy(exists))
    }
}

import Foundation
import InMemoryStores
import Records
import ServerJobs
import Testing

/// Starting work: the record first, then its job (id = record id), then the record marked enqueued.
@Suite struct ServerJobLauncherTests {
    let backups = InMemoryBackupStore()
    let starts = InMemoryRecordStarts()
    let dispatcher = InMemoryDispatcher()

    var launcher: ServerJobLauncher { ServerJobLauncher(dispatcher: dispatcher, backups: backups, scans: starts, updates: starts) }

    @Test func eachKindOfWorkGetsItsRecordAndOneJobNamedAfterIt() async throws {
        let serverId = UUID()
        let backup = try await launcher.startBackup(serverId: serverId, paths: ["/srv"], exclusions: ["*.tmp"], compression: .zstd, type: .incremental)
        let scan = try await launcher.startScan(serverId: serverId, type: .quick)
        let fullScan = try await launcher.startScan(serverId: serverId, type: .services)
        let update = try await launcher.startUpdate(serverId: serverId, mode: .check)
        #expect(backup.jobId == backup.record.id.lowercasedString && backup.record.requestedType == .incremental)
        #expect(backup.record.kind == .manual && backup.record.compression == .zstd && backup.record.exclusions == ["*.tmp"])
        let jobs = await dispatcher.jobs
        #expect(jobs.map(\.name) == [.manualBackup, .quickScan, .fullScan, .update])
        #expect(jobs.map(\.jobId) == [backup.jobId, scan.jobId, fullScan.jobId, update.jobId])
        #expect(jobs.allSatisfy { $0.payload.serverId == serverId.lowercasedString })
        #expect(await backups.enqueued == [backup.record.id])
        #expect(await starts.enqueued == [scan.record.id, fullScan.record.id, update.record.id])
    }

    @Test func aRecordWhoseJobCouldNotBeEnqueuedStaysUnmarkedForTheReconciler() async throws {
        await dispatcher.failing(RecordError(.unavailable, field: nil, "redis is down"))
        await #expect(throws: RecordError.self) {
            try await launcher.startBackup(serverId: UUID(), paths: ["/srv"], exclusions: [], compression: .gzip)
        }
        #expect(await backups.rows.count == 1)
        #expect(await backups.enqueued.isEmpty)
    }

    @Test func enqueueingTheSameScheduledBackupTwiceMakesOneJob() async throws {
        let backup = Backup(serverId: UUID(), kind: .scheduled, paths: ["/etc"])
        await backups.put(backup)
        try await launcher.enqueueScheduled(backup)
        try await launcher.enqueueScheduled(backup)
        #expect(await dispatcher.jobs.count == 1)
    }
}

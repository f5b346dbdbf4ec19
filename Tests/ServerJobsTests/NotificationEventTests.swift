import Foundation
import JSONSupport
import Records
import Scheduling
import ServerJobs
import Synchronization
import TestSupport
import Testing

/// Keeps every event it is told of.
final class RecordingNotifier: Notifier {
    private let received = Mutex<[NotificationEvent]>([])

    var events: [NotificationEvent] { received.withLock { $0 } }

    func notify(_ event: NotificationEvent) async {
        received.withLock { $0.append(event) }
    }

    func events(_ name: NotificationEventName) -> [NotificationEvent] { events.filter { $0.name == name } }
}

/// The processor reports outcomes where it writes them: completed and failed backups, completed
/// scans with what is new since the server's previous scan, failed updates.
@Suite(.removesSourceTrees) struct NotificationEventTests {
    @Test func backupsReportCompletionAndFailure() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("notify-web")
            let badPassword = try await fixture.makeServer("notify-badpw", password: "not-the-password")
            let good = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: [try await sourceTree()])
            let bad = try await fixture.backups.create(serverId: badPassword.id, kind: .manual, paths: ["/etc/hostname"])
            for backup in [good, bad] { try await fixture.dispatcher.enqueue(.manualBackup, recordId: backup.id) }
            let notifier = RecordingNotifier()
            try await fixture.withWorkers(notifier: notifier) { () async throws in
                #expect(
                    try await waitFor {
                        !notifier.events(.backupCompleted).isEmpty && !notifier.events(.backupFailed).isEmpty
                    })
            }
            let completed = try #require(notifier.events(.backupCompleted).first)
            #expect(completed.data["backupId"] == .string(good.id.uuidString.lowercased()))
            #expect(completed.data["server"] == "notify-web" && completed.data["verified"] == true)
            #expect(completed.summary.hasPrefix("Backup of notify-web completed"))
            let failed = try #require(notifier.events(.backupFailed).first)
            #expect(failed.data["backupId"] == .string(bad.id.uuidString.lowercased()))
            #expect(failed.data["error"]?.stringValue?.contains("rejected the credentials") == true)
            #expect(notifier.events.count == 2)  // one event per outcome, not per attempt
        }
    }

    @Test func scansReportWhatIsNewSinceThePreviousScan() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("notify-scan")
            let notifier = RecordingNotifier()
            try await fixture.withWorkers(notifier: notifier) { () async throws in
                for expected in 1...2 {
                    let (record, _) = try await fixture.launcher.startScan(serverId: server.id, type: .quick)
                    #expect(try await waitFor(timeout: .seconds(60)) { notifier.events(.scanCompleted).count == expected })
                    #expect(notifier.events(.scanCompleted).last?.data["scanId"] == .string(record.id.uuidString.lowercased()))
                }
            }
            let scans = notifier.events(.scanCompleted)
            let first = try #require(scans.first)
            let second = try #require(scans.last)
            #expect(first.data["previousScanId"] == .null)
            #expect((first.data["newFindingCount"]?.intValue ?? 0) > 0)
            #expect(second.data["previousScanId"] == first.data["scanId"])
            // The same host, scanned twice: nothing new.
            #expect(second.data["newFindingCount"] == 0 && second.summary.hasSuffix("nothing new"))
        }
    }

    @Test func updatesReportTheirFinalFailureOnce() async throws {
        try await FlowFixture.run { fixture in
            let closed = try await fixture.makeServer("notify-closed", port: 1)
            let notifier = RecordingNotifier()
            let (record, _) = try await fixture.launcher.startUpdate(serverId: closed.id, mode: .check)
            try await fixture.withWorkers(notifier: notifier) { () async throws in
                #expect(try await waitFor { try await fixture.updates.find(id: record.id)?.status == .failed })
            }
            let failures = notifier.events(.updateFailed)
            #expect(failures.count == 1)  // after the third attempt, not after each
            #expect(failures.first?.data["updateId"] == .string(record.id.uuidString.lowercased()) && failures.first?.data["mode"] == "check")
            #expect(notifier.events(.updateApplied).isEmpty)
        }
    }

    @Test func missedScheduleRunsAreReportedOnce() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("notify-sched")
            let start = Date(timeIntervalSince1970: 1_767_600_000)  // 2026-01-05T08:00:00Z
            let schedule = try await fixture.makeSchedule(server: server, cron: "@hourly", start: start)
            let notifier = RecordingNotifier()
            let scheduler = BackupScheduler(
                schedules: fixture.schedules, backups: fixture.backups, launcher: fixture.launcher,
                audit: AuditLogRepository(database: fixture.database), notifier: notifier, logger: testLogger())
            // Down for five hours: four occurrences are skipped, the latest runs.
            await scheduler.tick(now: start.addingTimeInterval(5 * 3600 + 60))
            await scheduler.tick(now: start.addingTimeInterval(5 * 3600 + 120))
            let skipped = notifier.events(.scheduleSkipped)
            #expect(skipped.count == 1)
            #expect(skipped.first?.data["skipped"] == 4 && skipped.first?.data["scheduleId"] == .string(schedule.id.uuidString.lowercased()))
        }
    }
}

import Foundation
import JobQueue
import JSONSupport
import Logging
import Notifications
import PlatformRuntime
import Records
import Scheduling
import ServerJobs
import Synchronization
import Testing

/// Keeps every event it is told of.
final class EventRecorder: Notifier {
    private let received = Mutex<[NotificationEvent]>([])
    var events: [NotificationEvent] { received.withLock { $0 } }
    func notify(_ event: NotificationEvent) async { received.withLock { $0.append(event) } }
}

/// Two watches stand for two processes: each overdue episode and each health change is announced once.
@Suite struct NotificationWatchTests {
    @Test func overdueSchedulesAreAnnouncedOncePerEpisode() async throws {
        try await WebhookFixture.run { fixture in
            let server = try await ServerRepository(database: fixture.database, vault: fixture.vault).create(
                NewServer(name: "overdue-web", host: "10.0.0.5", username: "backup", authType: .password, credential: "x"))
            let schedules = BackupScheduleRepository(database: fixture.database)
            let backups = BackupRepository(database: fixture.database)
            let schedule = try await schedules.create(ScheduleDefinition(serverId: server.id, cron: "@hourly", paths: ["/etc"]), nextRunAt: nil)
            let recorder = EventRecorder()
            let watches = (0..<2).map { _ in
                NotificationWatch(
                    schedules: schedules, queues: [], redis: fixture.redis, notifier: recorder,
                    options: .init(keyPrefix: fixture.prefix), logger: fixture.logs.logger)
            }
            let now = Date()
            #expect(await watches[0].checkOverdueBackups(now: now.addingTimeInterval(3600)) == 0)  // within period + slack
            #expect(await watches[0].checkOverdueBackups(now: now.addingTimeInterval(3 * 3600)) == 1)
            #expect(await watches[1].checkOverdueBackups(now: now.addingTimeInterval(3 * 3600)) == 0)
            #expect(await watches[0].checkOverdueBackups(now: now.addingTimeInterval(4 * 3600)) == 0)
            let event = try #require(recorder.events.first)
            #expect(event.name == .backupOverdue && event.data["server"] == "overdue-web" && event.data["lastSuccessAt"] == .null)
            #expect(event.data["periodSeconds"] == 3600 && event.data["scheduleId"] == .string(schedule.id.uuidString.lowercased()))

            // A success ends the episode; the next one is announced again.
            let (backup, _) = try await backups.createScheduled(id: UUID(), schedule: schedule, dueAt: now, metadata: [:])
            _ = try await backups.markCompleted(id: backup.id, filePath: "/nowhere", size: 1, sha256: String(repeating: "a", count: 64))
            let succeeded = Date()
            #expect(await watches[1].checkOverdueBackups(now: succeeded.addingTimeInterval(3600)) == 0)
            #expect(await watches[1].checkOverdueBackups(now: succeeded.addingTimeInterval(3 * 3600)) == 1)
            #expect(await watches[0].checkOverdueBackups(now: succeeded.addingTimeInterval(3 * 3600)) == 0)
            #expect(recorder.events.count == 2 && recorder.events.last?.data["lastSuccessAt"] != .null)
        }
    }

    @Test func queueHealthChangesAreAnnouncedOnceAcrossProcesses() async throws {
        try await WebhookFixture.run { fixture in
            let queue = try Queue(name: "backup-queue", prefix: fixture.prefix, redis: fixture.redis)
            let recorder = EventRecorder()
            let watches = (0..<2).map { _ in
                NotificationWatch(
                    schedules: BackupScheduleRepository(database: fixture.database), queues: [queue], redis: fixture.redis,
                    notifier: recorder, options: .init(keyPrefix: fixture.prefix), logger: fixture.logs.logger)
            }
            #expect(await watches[0].checkQueueHealth() == 0)  // healthy from the start: nothing to say
            try await queue.add("backup:manual", data: ["recordId": "x"])  // waits, and no worker serves the queue
            async let first = watches[0].checkQueueHealth()
            async let second = watches[1].checkQueueHealth()
            #expect(await first + second == 1)
            #expect(await watches[1].checkQueueHealth() == 0)
            try await queue.drain(includeDelayed: true)
            #expect(await watches[1].checkQueueHealth() == 1)
            #expect(await watches[0].checkQueueHealth() == 0)
            #expect(recorder.events.map(\.name) == [.queueUnhealthy, .queueRecovered])
            #expect(recorder.events.first?.data["reasons"]?.jsonText.contains("no worker") == true)
            try? await queue.obliterate(force: true)
        }
    }

    @Test func webhookAllowPrivateIsASetting() throws {
        #expect(try PlatformConfiguration(environment: [:]).webhookAllowPrivate == false)
        #expect(try PlatformConfiguration(environment: ["WEBHOOK_ALLOW_PRIVATE": "true"]).webhookAllowPrivate == true)
        #expect(throws: (any Error).self) { try PlatformConfiguration(environment: ["WEBHOOK_ALLOW_PRIVATE": "maybe"]) }
    }
}

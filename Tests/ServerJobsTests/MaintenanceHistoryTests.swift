import Foundation
import JSONSupport
import PlatformRuntime
import PostgresClient
import Records
import Scheduling
@testable import ServerJobs
import TestSupport
import Testing

/// The cleanup duty's history step: retention from the configuration, batches bounded per pass,
/// and a database it cannot reach costs a log line, nothing else.
@Suite struct MaintenanceHistoryTests {
    func maintenance(_ fixture: FlowFixture, database: PostgresPool? = nil, retention: [HistoryPruner.History: Int]? = nil) -> MaintenanceService {
        var options = MaintenanceService.Options(historyRetentionDays: retention ?? fixture.services.configuration.historyRetention)
        options.historyBatch = 2
        options.historyBatches = 3
        return MaintenanceService(
            queues: [], janitor: StorageJanitor(storage: BackupStorage(root: fixture.storage), backups: fixture.backups, logger: testLogger()),
            history: HistoryPruner(database: database ?? fixture.database), options: options, logger: testLogger())
    }

    /// Failed logins of `days` ago, as a flood of guesses leaves them.
    func failedLogins(_ fixture: FlowFixture, _ count: Int, daysAgo days: Int) async throws {
        let audit = AuditLogRepository(database: fixture.database)
        for index in 0..<count {
            let entry = try await audit.record(
                userId: nil, actor: "guess-\(index)", action: "auth.login", resourceType: "auth", outcome: .failure, clientAddress: "198.51.100.\(index)")
            try await fixture.database.query("UPDATE audit_log SET created_at = now() - make_interval(days => $1) WHERE id = $2", [days, entry.id])
        }
    }

    func count(_ fixture: FlowFixture, _ table: String) async throws -> Int {
        try await fixture.database.query("SELECT count(*) AS n FROM \(table)").rows[0].decode("n", as: Int.self)
    }

    @Test func aPassRemovesWhatIsPastTheConfiguredRetentionABoundedAmountAtATime() async throws {
        try await FlowFixture.run { fixture in
            try await failedLogins(fixture, 7, daysAgo: 366)
            try await failedLogins(fixture, 2, daysAgo: 364)
            let attempt = try await fixture.attempts.start(queue: "scan-queue", jobId: "old", jobName: "scan", attempt: 1, worker: "w")
            try await fixture.attempts.finish(id: attempt.id, state: .failed, error: "gone")
            try await fixture.database.query("UPDATE job_attempts SET started_at = now() - interval '91 days' WHERE id = $1", [attempt.id])
            let duty = maintenance(fixture)
            // Three batches of two a pass: the seventh old entry waits for the next pass.
            #expect(await duty.pruneHistory() == [.auditLog: 6, .jobAttempts: 1, .webhookDeliveries: 0, .scans: 0, .updates: 0])
            #expect(await duty.pruneHistory() == [.auditLog: 1, .jobAttempts: 0, .webhookDeliveries: 0, .scans: 0, .updates: 0])
            #expect(try await count(fixture, "audit_log") == 2)
            #expect(try await count(fixture, "job_attempts") == 0)
        }
    }

    @Test func scansLeaveATenthAsManyAStatementAndTheLatestInventoryStays() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.servers.create(
                NewServer(name: "inventory", host: "10.0.0.9", username: "backup", authType: .password, credential: "pw"))
            // Eight scans, one a month from 300 days ago: the newest is 90 days old, the rest superseded.
            for month in 0..<8 {
                let scan = try await fixture.scans.create(serverId: server.id, scanType: .quick)
                _ = try await fixture.scans.complete(id: scan.id, summary: [:], findings: ScanFindings())
                try await fixture.database.query("UPDATE scans SET created_at = now() - make_interval(days => $1) WHERE id = $2", [300 - 30 * month, scan.id])
            }
            var options = MaintenanceService.Options(historyRetentionDays: [.scans: 30])
            options.historyBatch = 20
            options.historyBatches = 3
            let duty = MaintenanceService(
                queues: [], janitor: StorageJanitor(storage: BackupStorage(root: fixture.storage), backups: fixture.backups, logger: testLogger()),
                history: HistoryPruner(database: fixture.database), options: options, logger: testLogger())
            // Statements of two scans (20 / 10), three a pass.
            #expect(await duty.pruneHistory() == [.scans: 6])
            #expect(await duty.pruneHistory() == [.scans: 1])
            #expect(try await fixture.scans.list(serverId: server.id).items.count == 1)
        }
    }

    @Test func aKindWithoutRetentionIsKeptForever() async throws {
        try await FlowFixture.run { fixture in
            try await failedLogins(fixture, 3, daysAgo: 10_000)
            #expect(await maintenance(fixture, retention: [.jobAttempts: 1]).pruneHistory() == [.jobAttempts: 0])
            #expect(try await count(fixture, "audit_log") == 3)
        }
    }

    @Test func anUnreachableDatabaseRemovesNothingAndDoesNotStopThePass() async throws {
        try await FlowFixture.run { fixture in
            let closed = PostgresPool(
                configuration: PostgresConfiguration(url: "postgres://nobody@127.0.0.1:1/nothing", connectTimeout: .seconds(2)), logger: testLogger())
            #expect(await maintenance(fixture, database: closed).pruneHistory().isEmpty)
            await closed.close()
        }
    }
}

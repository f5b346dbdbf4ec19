import Foundation
import JSONSupport
import PostgresClient
@testable import Records
import Testing

/// History past its retention leaves in batches; what is young, running or still being delivered
/// stays, whatever its age.
@Suite struct HistoryPrunerTests {
    /// Moves a row's time `days` into the past by PostgreSQL's clock.
    static func age(_ fixture: RecordsFixture, _ table: String, column: String, id: any PostgresEncodable, days: Int) async throws {
        try await fixture.database.query("UPDATE \(table) SET \(column) = now() - make_interval(days => $1) WHERE id = $2", [days, id])
    }

    static func count(_ fixture: RecordsFixture, _ table: String) async throws -> Int {
        try await fixture.database.query("SELECT count(*) AS n FROM \(table)").rows[0].decode("n", as: Int.self)
    }

    @Test func oldAuditEntriesLeaveInBatchesAndYoungOnesStay() async throws {
        try await RecordsFixture.run { fixture in
            var old: [Int64] = []
            for index in 0..<5 {
                let entry = try await fixture.audit.record(
                    userId: nil, actor: "guess\(index)", action: "auth.login", resourceType: "auth", outcome: .failure, clientAddress: "203.0.113.\(index)")
                old.append(entry.id)
                try await Self.age(fixture, "audit_log", column: "created_at", id: entry.id, days: 400)
            }
            let young = try await fixture.audit.record(userId: nil, actor: "admin", action: "auth.login", resourceType: "auth", outcome: .success)
            try await Self.age(fixture, "audit_log", column: "created_at", id: young.id, days: 300)
            let pruner = HistoryPruner(database: fixture.database)
            #expect(try await pruner.prune(.auditLog, olderThanDays: 365, limit: 3) == 3)
            #expect(try await pruner.prune(.auditLog, olderThanDays: 365, limit: 3) == 2)
            #expect(try await pruner.prune(.auditLog, olderThanDays: 365, limit: 3) == 0)
            #expect(try await fixture.audit.list().items.map(\.id) == [young.id])
        }
    }

    @Test func runningAttemptsAndUnsettledDeliveriesStayHoweverOld() async throws {
        try await RecordsFixture.run { fixture in
            let finished = try await fixture.attempts.start(queue: "scan-queue", jobId: "j1", jobName: "scan", attempt: 1, worker: "w")
            try await fixture.attempts.finish(id: finished.id, state: .completed)
            let running = try await fixture.attempts.start(queue: "scan-queue", jobId: "j2", jobName: "scan", attempt: 1, worker: "w")
            for attempt in [finished, running] {
                try await Self.age(fixture, "job_attempts", column: "started_at", id: attempt.id, days: 200)
            }
            let pruner = HistoryPruner(database: fixture.database)
            #expect(try await pruner.prune(.jobAttempts, olderThanDays: 90, limit: 100) == 1)
            #expect(try await fixture.attempts.attempts(queue: "scan-queue", jobId: "j2").map(\.id) == [running.id])

            let webhook = try await WebhookRepository(database: fixture.database, vault: fixture.vault)
                .create(url: "https://hooks.example.com/a", events: ["backup.failed"], format: .json, enabled: true).webhook
            let deliveries = WebhookDeliveryRepository(database: fixture.database)
            var kept: [UUID] = []
            for status in [WebhookDelivery.Status.delivered, .failed, .refused, .retrying, .pending] {
                let delivery = try await deliveries.create(webhookId: webhook.id, event: "backup.failed", payload: .object([:]))
                if status != .pending { _ = try await deliveries.recordAttempt(id: delivery.id, status: status, responseCode: nil, error: nil) }
                try await Self.age(fixture, "webhook_deliveries", column: "updated_at", id: delivery.id, days: 200)
                if status == .retrying || status == .pending { kept.append(delivery.id) }
            }
            // Made long ago, but retried until it settled yesterday: it stays.
            let lateSettled = try await deliveries.create(webhookId: webhook.id, event: "backup.failed", payload: .object([:]))
            try await Self.age(fixture, "webhook_deliveries", column: "created_at", id: lateSettled.id, days: 200)
            _ = try await deliveries.recordAttempt(id: lateSettled.id, status: .failed, responseCode: 500, error: "gave up")
            kept.append(lateSettled.id)
            #expect(try await pruner.prune(.webhookDeliveries, olderThanDays: 90, limit: 100) == 3)
            #expect(Set(try await deliveries.list(webhookId: webhook.id).items.map(\.id)) == Set(kept))
            #expect(try await Self.count(fixture, "webhooks") == 1)
        }
    }

    /// Moves a scan's or update's creation (and start) `created` days into the past, and its
    /// completion, if it has one, to a minute after `completed` (default: `created`) days ago.
    static func backdate(_ fixture: RecordsFixture, _ table: String, id: UUID, created: Int, completed: Int? = nil) async throws {
        try await fixture.database.query(
            """
            UPDATE \(table) SET created_at = now() - make_interval(days => $1),
                started_at = CASE WHEN started_at IS NULL THEN NULL ELSE now() - make_interval(days => $1) END,
                completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE now() - make_interval(days => $2) + interval '1 minute' END
            WHERE id = $3
            """, [created, completed ?? created, id])
    }

    /// A scan in `state`, made `days` ago (a completed one with a finding, completed then or
    /// `completedDaysAgo`).
    static func scan(
        _ fixture: RecordsFixture, _ server: Server, _ state: RecordStatus, daysAgo days: Int, completedDaysAgo: Int? = nil
    ) async throws -> UUID {
        let scan = try await fixture.scans.create(serverId: server.id, scanType: .quick)
        switch state {
        case .completed:
            _ = try await fixture.scans.complete(id: scan.id, summary: [:], findings: ScanFindings(services: [.init(name: "sshd")]))
        case .failed: try await fixture.scans.markFailed(id: scan.id, error: "unreachable")
        case .running: try await fixture.scans.markRunning(id: scan.id, jobId: nil)
        case .pending: break
        }
        try await backdate(fixture, "scans", id: scan.id, created: days, completed: completedDaysAgo)
        return scan.id
    }

    @Test func oldScansGoOnceSupersededAndEachServerKeepsItsLatestInventoryAndLatestScan() async throws {
        try await RecordsFixture.run { fixture in
            let web = try await fixture.makeServer("web-1")
            let lone = try await fixture.makeServer("db-1", host: "10.0.0.6")
            let gone = try await fixture.makeServer("old-1", host: "10.0.0.7")
            let superseded = try await Self.scan(fixture, web, .completed, daysAgo: 300)
            let failedBefore = try await Self.scan(fixture, web, .failed, daysAgo: 250)
            let latest = try await Self.scan(fixture, web, .completed, daysAgo: 200)
            let failedSince = try await Self.scan(fixture, web, .failed, daysAgo: 150)
            let failedLast = try await Self.scan(fixture, web, .failed, daysAgo: 120)
            let onlyOne = try await Self.scan(fixture, lone, .completed, daysAgo: 400)
            // A host that only ever fails keeps its latest failure, not every one.
            _ = try await Self.scan(fixture, gone, .failed, daysAgo: 400)
            let lastFailure = try await Self.scan(fixture, gone, .failed, daysAgo: 300)
            let pruner = HistoryPruner(database: fixture.database)

            #expect(try await pruner.prune(.scans, olderThanDays: 90, limit: 100) == 4)
            #expect(Set(try await fixture.scans.list(serverId: web.id).items.map(\.id)) == [latest, failedLast])
            #expect(try await fixture.scans.list(serverId: lone.id).items.map(\.id) == [onlyOne], "a server's only inventory stays however old")
            #expect(try await fixture.scans.list(serverId: gone.id).items.map(\.id) == [lastFailure])
            #expect(try await Self.count(fixture, "scan_services") == 2, "the findings went with their scan")
            for id in [superseded, failedBefore, failedSince] { #expect(try await fixture.scans.find(id: id) == nil) }

            // A new inventory supersedes the old one and the failure before it; a running scan stays.
            let running = try await Self.scan(fixture, web, .running, daysAgo: 100)
            let fresh = try await Self.scan(fixture, web, .completed, daysAgo: 1)
            #expect(try await pruner.prune(.scans, olderThanDays: 90, limit: 100) == 2)
            #expect(Set(try await fixture.scans.list(serverId: web.id).items.map(\.id)) == [running, fresh])
        }
    }

    /// Postponed (another job held the server) or retried, the older scan completed last: it is
    /// the inventory the next scan is compared with, so it stays, and so does the newer one.
    @Test func theScanThatCompletedLastStaysWhateverOrderTheyWereMadeIn() async throws {
        try await RecordsFixture.run { fixture in
            let server = try await fixture.makeServer()
            let completedLast = try await Self.scan(fixture, server, .completed, daysAgo: 300, completedDaysAgo: 100)
            let madeLast = try await Self.scan(fixture, server, .completed, daysAgo: 250)
            #expect(try await HistoryPruner(database: fixture.database).prune(.scans, olderThanDays: 90, limit: 100) == 0)
            let probe = try await fixture.scans.create(serverId: server.id, scanType: .quick)
            #expect(try await fixture.scans.previousCompleted(before: probe)?.id == completedLast)
            #expect(try await fixture.scans.find(id: madeLast) != nil, "the server's newest scan")
        }
    }

    @Test func oldUpdatesGoOnceSupersededAndAnUpgradeIsNotSupersededByACheck() async throws {
        try await RecordsFixture.run { fixture in
            let server = try await fixture.makeServer()
            var ids: [UUID] = []
            for (days, mode, completes) in [(500, UpdateMode.apply, true), (450, .check, true), (420, .check, true), (400, .check, false)] {
                let update = try await fixture.updates.create(serverId: server.id, mode: mode)
                if completes {
                    _ = try await fixture.updates.complete(
                        id: update.id, packageManager: "apt", upgradable: .array([]), upgraded: .array([]), rebootRequired: false, log: "")
                } else {
                    try await fixture.updates.markFailed(id: update.id, error: "dpkg lock held")
                }
                try await Self.backdate(fixture, "updates", id: update.id, created: days)
                ids.append(update.id)
            }
            // The upgrade, the latest check and the failure after it stay; the earlier check goes.
            #expect(try await HistoryPruner(database: fixture.database).prune(.updates, olderThanDays: 365, limit: 100) == 1)
            #expect(Set(try await fixture.updates.list(serverId: server.id).items.map(\.id)) == [ids[0], ids[2], ids[3]])
        }
    }

    @Test func aRetentionOrBatchBelowOneIsRefused() async throws {
        try await RecordsFixture.run { fixture in
            _ = try await fixture.audit.record(userId: nil, actor: "admin", action: "auth.login", resourceType: "auth", outcome: .success)
            let pruner = HistoryPruner(database: fixture.database)
            for (days, limit) in [(0, 10), (-1, 10), (30, 0)] {
                let error = await recordError { _ = try await pruner.prune(.auditLog, olderThanDays: days, limit: limit) }
                #expect(error?.kind == .invalid, "days \(days), limit \(limit)")
            }
            #expect(try await Self.count(fixture, "audit_log") == 1)
        }
    }
}

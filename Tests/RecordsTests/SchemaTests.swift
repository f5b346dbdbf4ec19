import Foundation
import PostgresClient
@testable import Records
import TestSupport
import Testing

@Suite struct SchemaTests {
    @Test func migrationsApplyToAnEmptyDatabaseAndRerunAsNoOp() async throws {
        try await RecordsFixture.run { fixture in
            let runner = try MigrationRunner(directory: try TestEnvironment.require("MM_TEST_ROOT") + "/migrations", logger: testLogger())
            #expect(try await fixture.database.withConnection { try await runner.migrate(on: $0) }.isEmpty)
            let tables = try await fixture.database.query(
                "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
            ).first?.decode("n", as: Int.self)
            #expect(tables == 18)  // with webhooks and their deliveries, and restore drills
        }
    }

    @Test func constraintsNameTheField() async throws {
        try await RecordsFixture.run { fixture in
            let server = try await fixture.makeServer()
            let duplicate = await recordError { _ = try await fixture.makeServer("WEB-1") }
            #expect(duplicate?.kind == .conflict && duplicate?.field == "name")
            let badPort = await recordError { _ = try await fixture.servers.update(id: server.id, port: 70_000) }
            #expect(badPort?.kind == .invalid && badPort?.field == "port")
            let badHost = await recordError { _ = try await fixture.makeServer("x", host: "bad host;rm") }
            #expect(badHost?.field == "host")
            let noPaths = await recordError { _ = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: []) }
            #expect(noPaths?.field == "paths")
            let missingServer = await recordError { _ = try await fixture.backups.create(serverId: UUID(), kind: .manual, paths: ["/etc"]) }
            #expect(missingServer?.field == "server_id")
            let backup = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc"])
            let badHash = await recordError { _ = try await fixture.backups.markCompleted(id: backup.id, filePath: "/b", size: 1, sha256: "xyz") }
            #expect(badHash?.field == "sha256")
            let badSize = await recordError { _ = try await fixture.backups.markCompleted(id: backup.id, filePath: "/b", size: -1, sha256: String(repeating: "a", count: 64)) }
            #expect(badSize?.field == "size_bytes")
            let badCron = await recordError {
                _ = try await fixture.schedules.create(ScheduleDefinition(serverId: server.id, cron: "", paths: ["/"]), nextRunAt: nil)
            }
            #expect(badCron?.field == "cron")
            let badRetention = await recordError {
                _ = try await fixture.schedules.create(
                    ScheduleDefinition(serverId: server.id, cron: "@daily", paths: ["/"], retention: RetentionPolicy(keepLast: 0)), nextRunAt: nil)
            }
            #expect(badRetention?.field == "keep_last")
            let badDrill = await recordError {
                _ = try await fixture.schedules.create(
                    ScheduleDefinition(serverId: server.id, cron: "@daily", paths: ["/"], drill: RestoreDrillPolicy(everyBackups: 0)), nextRunAt: nil)
            }
            #expect(badDrill?.field == "drill_every_backups")
        }
    }

    @Test(arguments: ["::1", "fe80::1", "2001:db8::8a2e:370:7334", "10.0.0.1", "backup.example.com", "localhost", "web-01"])
    func acceptsHostsOfEveryKind(host: String) {
        #expect(HostAddress.isValid(host))
    }

    @Test(arguments: ["", "-oProxyCommand=x", "a b", "256.1.1.1", "1.2.3", "exa_mple.com", "::g", "host;rm -rf /", String(repeating: "a", count: 64) + ".com"])
    func refusesBadHosts(host: String) {
        #expect(!HostAddress.isValid(host))
    }
}

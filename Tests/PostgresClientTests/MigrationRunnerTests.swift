import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct MigrationRunnerTests {
    @Test func appliesInOrderOnceAndRecordsChecksums() async throws {
        try await withScratchDatabase { configuration in
            let db = PostgresConnection(configuration: configuration, logger: testLogger())
            let directory = try makeDirectory([
                "0002_add_column.sql": "ALTER TABLE things ADD COLUMN size bigint NOT NULL DEFAULT 0;",
                "0001_create.sql": "CREATE TABLE things (id int PRIMARY KEY);\nINSERT INTO things VALUES (1);",
                "README.txt": "not a migration",
            ])
            let runner = try MigrationRunner(directory: directory, logger: testLogger())
            let applied = try await runner.migrate(on: db)
            #expect(applied.map(\.version) == [1, 2])
            #expect(try await runner.migrate(on: db).isEmpty)
            let status = try await runner.status(on: db)
            #expect(status.isCurrent && status.applied == [1, 2])
            let rows = try await db.query("SELECT version, checksum FROM schema_migrations ORDER BY version").rows
            #expect(try rows.map { try $0.decode("checksum", as: String.self) } == runner.migrations.map(\.checksum))
            #expect(try await db.query("SELECT size FROM things").first?.decode("size", as: Int.self) == 0)
            await db.close()
        }
    }

    @Test func editedAppliedFileIsRefused() async throws {
        try await withScratchDatabase { configuration in
            let db = PostgresConnection(configuration: configuration, logger: testLogger())
            let directory = try makeDirectory(["0001_create.sql": "CREATE TABLE a (id int);"])
            try await MigrationRunner(directory: directory, logger: testLogger()).migrate(on: db)
            try "CREATE TABLE a (id bigint);".write(toFile: directory + "/0001_create.sql", atomically: true, encoding: .utf8)
            let error = try await #require(throws: PostgresError.self, "an edited migration should be refused") {
                try await MigrationRunner(directory: directory, logger: testLogger()).migrate(on: db)
            }
            #expect(error.code == .migrationFailed)
            let message = "\(error)"
            #expect(message.contains("1_create"))
            #expect(message.contains("changed") || message.contains("edited"))
            await db.close()
        }
    }

    @Test func failingMigrationRollsBackAndIsNotRecorded() async throws {
        try await withScratchDatabase { configuration in
            let db = PostgresConnection(configuration: configuration, logger: testLogger())
            let directory = try makeDirectory([
                "0001_ok.sql": "CREATE TABLE ok (id int);",
                "0002_bad.sql": "CREATE TABLE half (id int);\nSELECT * FROM no_such_table;",
            ])
            await #expect(throws: PostgresError.self) {
                try await MigrationRunner(directory: directory, logger: testLogger()).migrate(on: db)
            }
            let versions = try await db.query("SELECT version FROM schema_migrations").rows.map { try $0.decode("version", as: Int.self) }
            #expect(versions == [1])
            #expect(try await db.query("SELECT to_regclass('half') IS NULL AS gone").first?.decode("gone", as: Bool.self) == true)
            await db.close()
        }
    }

    @Test func concurrentRunnersApplyEachFileOnce() async throws {
        try await withScratchDatabase { configuration in
            // Without the lock both runners would try 0001 and one would hit a duplicate table.
            let directory = try makeDirectory([
                "0001_slow.sql": "SELECT pg_sleep(0.5);\nCREATE TABLE once (id int);\nINSERT INTO once VALUES (1);",
                "0002_more.sql": "INSERT INTO once VALUES (2);",
            ])
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let db = PostgresConnection(configuration: configuration, logger: testLogger())
                        let applied = try await MigrationRunner(directory: directory, logger: testLogger()).migrate(on: db)
                        await db.close()
                        return applied.count
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(results.sorted() == [0, 0, 0, 2])
            let db = PostgresConnection(configuration: configuration, logger: testLogger())
            #expect(try await db.query("SELECT count(*) AS n FROM once").first?.decode("n", as: Int.self) == 2)
            await db.close()
        }
    }

    @Test func badFileNamesAreRejected() throws {
        let directory = try makeDirectory(["create.sql": "SELECT 1;"])
        #expect(throws: PostgresError.self) { try MigrationRunner.load(directory: directory) }
        let duplicate = try makeDirectory(["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"])
        #expect(throws: PostgresError.self) { try MigrationRunner.load(directory: duplicate) }
    }

    @Test func projectMigrationsApplyToAnEmptyDatabase() async throws {
        let root = try TestEnvironment.require("MM_TEST_ROOT")
        try await withScratchDatabase { configuration in
            let db = PostgresConnection(configuration: configuration, logger: testLogger())
            let runner = try MigrationRunner(directory: root + "/migrations", logger: testLogger())
            #expect(!runner.migrations.isEmpty)
            try await runner.migrate(on: db)
            #expect(try await runner.status(on: db).isCurrent)
            await db.close()
        }
    }

    private func makeDirectory(_ files: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("migrations"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory.path
    }
}

import BlockingIO
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct PostgresTransactionTests {
    struct Boom: Error {}

    private func makeTables(_ db: PostgresConnection) async throws -> (parent: String, child: String) {
        let parent = TestEnvironment.uniqueName("parent")
        let child = TestEnvironment.uniqueName("child")
        try await db.query("CREATE TABLE \(parent) (id int PRIMARY KEY, name text UNIQUE NOT NULL)")
        try await db.query("CREATE TABLE \(child) (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES \(parent)(id))")
        return (parent, child)
    }

    @Test func throwingBodyRollsBack() async throws {
        let db = try makeConnection()
        let tables = try await makeTables(db)
        await #expect(throws: Boom.self) {
            try await db.transaction { db in
                try db.query("INSERT INTO \(tables.parent) VALUES (1, 'kept?')")
                throw Boom()
            }
        }
        let count = try await db.query("SELECT count(*) AS n FROM \(tables.parent)").first?.decode("n", as: Int.self)
        #expect(count == 0)
        try await db.transaction { db in
            try db.query("INSERT INTO \(tables.parent) VALUES (1, 'kept')")
        }
        let after = try await db.query("SELECT count(*) AS n FROM \(tables.parent)").first?.decode("n", as: Int.self)
        #expect(after == 1)
    }

    @Test func uniqueAndForeignKeyViolationsAreDistinguishable() async throws {
        let db = try makeConnection()
        let tables = try await makeTables(db)
        try await db.query("INSERT INTO \(tables.parent) VALUES ($1, $2)", [1, "web-1"])
        let duplicate = try await #require(throws: PostgresError.self, "duplicate name should be refused") {
            try await db.query("INSERT INTO \(tables.parent) VALUES ($1, $2)", [2, "web-1"])
        }
        #expect(duplicate.isUniqueViolation)
        #expect(!duplicate.isForeignKeyViolation)
        #expect(duplicate.sqlState == "23505")
        #expect(duplicate.constraint?.contains("name") == true)
        #expect(!duplicate.isRetryable)
        let orphan = try await #require(throws: PostgresError.self, "a missing parent should be refused") {
            try await db.query("INSERT INTO \(tables.child) VALUES ($1, $2)", [1, 99])
        }
        #expect(orphan.isForeignKeyViolation)
        #expect(!orphan.isUniqueViolation)
        // The connection is still usable after errors.
        #expect(try await db.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
    }

    @Test func poolRunsManyTasksOnFewConnections() async throws {
        let pool = PostgresPool(configuration: try postgresConfiguration(), options: .init(maxConnections: 3), logger: testLogger())
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for value in 1...50 {
                group.addTask {
                    let row = try await pool.query("SELECT $1::int AS v, pg_backend_pid() AS pid, pg_sleep(0.001)", [value]).first
                    return (try row?.decode("v", as: Int.self) ?? 0, try row?.decode("pid", as: Int.self) ?? 0)
                }
            }
            return try await group.reduce(into: [(Int, Int)]()) { $0.append($1) }
        }
        #expect(results.map(\.0).reduce(0, +) == 1275)
        #expect(Set(results.map(\.1)).count <= 3)  // every statement ran on one of the pool's three connections
        await pool.close()
    }
}

@Suite(.serialized) struct PostgresReconnectTests {
    @Test func statementAfterARestartFailsRetryablyThenReconnects() async throws {
        let db = try makeConnection("MM_TEST_DATABASE_SPARE_URL")
        #expect(try await db.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
        try TestEnvironment.services([
            "restart", "postgres",
            try TestEnvironment.require("MM_TEST_PG_SPARE_STATE"),
            try TestEnvironment.require("MM_TEST_PG_SPARE_PORT"),
            "medicineman_test", "mmtest",
            try TestEnvironment.require("MM_TEST_PG_PASSWORD"),
        ])
        let error = try await #require(throws: PostgresError.self, "the first statement after a restart should fail") {
            try await db.query("SELECT 1 AS one")
        }
        #expect(error.code == .connectionLost)
        #expect(error.isRetryable)
        #expect(try await db.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
    }
}

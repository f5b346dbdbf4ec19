import ArgumentParser
import BlockingIO
import Foundation
import Logging
import PostgresClient
import Records

/// How fast the cleanup duty's `HistoryPruner` removes old audit entries in batches, and how long
/// its longest statement holds the rows it deletes, beside one `DELETE` of all of them (the
/// reference: what an unbatched cleanup would hold in one statement), over the same rows.
struct HistoryPruneBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history-prune",
        abstract: "Seed --rows old audit entries (and as many young ones), remove the old in batches, then the same in one DELETE.")

    @Option(help: "A PostgreSQL URL whose database may be migrated and filled (a scratch database).") var database: String
    @Option(help: "The numbered SQL migrations.") var migrations = "migrations"
    @Option(help: "Audit entries past the retention; as many young ones stay.") var rows = 200_000
    @Option(help: "Rows one statement removes (the cleanup duty's is 5,000).") var batch = 5000

    func run() async throws {
        let logger = Logger(label: "bench.history")
        let configuration = PostgresConfiguration(url: database)
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        // It migrates the database and empties its audit log: never one that is in use, checked
        // before anything is written.
        let migrated = try await connection.query("SELECT to_regclass('public.users') IS NOT NULL AS present").rows.first?.decode("present", as: Bool.self)
        let inUse =
            migrated == true
            ? try await connection.query("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM servers) AS n").rows.first?.decode("n", as: Int.self) : 0
        guard inUse == 0 else {
            await connection.close()
            throw ValidationError("the database has users or servers: give a scratch database (this benchmark empties its audit log)")
        }
        _ = try await MigrationRunner(directory: migrations, logger: logger).migrate(on: connection)
        let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2), logger: logger)
        let pruner = HistoryPruner(database: pool)

        try await seed(connection)
        var removed = 0
        var longest = 0.0
        let started = ContinuousClock.now
        while true {
            let statement = ContinuousClock.now
            let count = try await pruner.prune(.auditLog, olderThanDays: 365, limit: batch)
            longest = max(longest, (ContinuousClock.now - statement).inSeconds)
            removed += count
            if count < batch { break }
        }
        let batched = (ContinuousClock.now - started).inSeconds

        try await seed(connection)
        let single = ContinuousClock.now
        let reference = try await connection.query("DELETE FROM audit_log WHERE created_at < now() - interval '365 days'").affectedRows
        let unbatched = (ContinuousClock.now - single).inSeconds
        let left = try await connection.query("SELECT count(*) AS n FROM audit_log").rows.first?.decode("n", as: Int.self) ?? -1
        await pool.close()
        await connection.close()

        print(String(format: "old rows %d (and %d young, kept: %d left), batch %d", rows, rows, left, batch))
        print(String(format: "one DELETE (reference): %.0f ms, %.0f rows/s; the one statement holds every row for all of it", unbatched * 1000, Double(reference) / unbatched))
        print(String(format: "HistoryPruner batches:  %.0f ms, %.0f rows/s; longest statement %.1f ms", batched * 1000, Double(removed) / batched, longest * 1000))
    }

    /// Empties the audit log, then fills it with `rows` entries 400 days old and `rows` of today.
    func seed(_ connection: PostgresConnection) async throws {
        try await connection.query("TRUNCATE audit_log")
        try await connection.query(
            """
            INSERT INTO audit_log (actor, action, resource_type, outcome, client_address, created_at)
            SELECT 'guess-' || n, 'auth.login', 'auth', 'failure', '198.51.100.' || (n % 250),
                   now() - CASE WHEN n <= $1 THEN interval '400 days' ELSE interval '1 hour' END
            FROM generate_series(1, 2 * $1) AS n
            """, [rows])
        try await connection.query("VACUUM ANALYZE audit_log")
    }
}

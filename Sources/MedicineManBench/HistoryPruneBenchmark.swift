import ArgumentParser
import BlockingIO
import Foundation
import Logging
import PostgresClient
import Records

/// How fast the cleanup duty's `HistoryPruner` removes old history in batches, and how long its
/// longest statement holds the rows it deletes, beside one `DELETE` of all of them (the
/// reference: what an unbatched cleanup would hold in one statement), over the same rows.
struct HistoryPruneBenchmark: AsyncParsableCommand {
    /// What is seeded and pruned: audit entries, or scans with the findings a quick scan stores.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case audit, scans
    }

    static let configuration = CommandConfiguration(
        commandName: "history-prune",
        abstract: "Seed --rows old rows of --kind (and young ones), remove the old in batches, then the same in one DELETE.")

    /// Servers the scans seed belongs to; named so the in-use check and the clean-up know them.
    static let serverPrefix = "history-bench-"

    @Option(help: "A PostgreSQL URL whose database may be migrated and filled (a scratch database).") var database: String
    @Option(help: "The numbered SQL migrations.") var migrations = "migrations"
    @Option(help: "audit: failed logins (as many young ones stay); scans: superseded scans with 17 findings each, a tenth of them failed.") var kind = Kind.audit
    @Option(help: "Rows past the retention.") var rows = 200_000
    @Option(help: "Rows one statement removes (the cleanup duty's is 5,000 audit entries, 500 scans).") var batch = 5000

    func run() async throws {
        let logger = Logger(label: "bench.history")
        let configuration = PostgresConfiguration(url: database)
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        // It migrates the database and empties its audit log and scans: never one that is in use,
        // checked before anything is written.
        let migrated = try await connection.query("SELECT to_regclass('users') IS NOT NULL AS present").rows.first?.decode("present", as: Bool.self)
        let inUse =
            migrated == true
            ? try await connection.query(
                "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM servers WHERE name NOT LIKE $1) AS n", [Self.serverPrefix + "%"]
            ).rows.first?.decode("n", as: Int.self) : 0
        guard inUse == 0 else {
            await connection.close()
            throw ValidationError("the database has users or servers: give a scratch database (this benchmark empties its audit log and scans)")
        }
        _ = try await MigrationRunner(directory: migrations, logger: logger).migrate(on: connection)
        let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2), logger: logger)
        let pruner = HistoryPruner(database: pool)
        let (history, days, table) = kind == .audit ? (HistoryPruner.History.auditLog, 365, "audit_log") : (.scans, 90, "scans")

        try await seed(connection)
        var removed = 0
        var longest = 0.0
        let started = ContinuousClock.now
        while true {
            let statement = ContinuousClock.now
            let count = try await pruner.prune(history, olderThanDays: days, limit: batch)
            longest = max(longest, (ContinuousClock.now - statement).inSeconds)
            removed += count
            if count < batch { break }
        }
        let batched = (ContinuousClock.now - started).inSeconds

        try await seed(connection)
        let single = ContinuousClock.now
        let reference = try await connection.query(referenceDelete, [days]).affectedRows
        let unbatched = (ContinuousClock.now - single).inSeconds
        let left = try await connection.query("SELECT count(*) AS n FROM \(table)").rows.first?.decode("n", as: Int.self) ?? -1
        try await connection.query("DELETE FROM servers WHERE name LIKE $1", [Self.serverPrefix + "%"])
        await pool.close()
        await connection.close()

        print("\(kind.rawValue): removed \(removed) in batches and \(reference) in one DELETE (\(left) kept), batch \(batch)")
        print(String(format: "one DELETE (reference): %.0f ms, %.0f rows/s; the one statement holds every row for all of it", unbatched * 1000, Double(reference) / unbatched))
        print(String(format: "HistoryPruner batches:  %.0f ms, %.0f rows/s; longest statement %.1f ms", batched * 1000, Double(removed) / batched, longest * 1000))
    }

    /// The reference: the same rows the pruner removes, in one statement (`$1`: the days). For
    /// scans the selection is the pruner's own, so the two cannot drift apart.
    var referenceDelete: String {
        switch kind {
        case .audit: "DELETE FROM audit_log WHERE created_at < now() - make_interval(days => $1)"
        case .scans: "DELETE FROM scans WHERE id IN (\(HistoryPruner.History.scans.expiredRows))"
        }
    }

    func seed(_ connection: PostgresConnection) async throws {
        switch kind {
        case .audit: try await seedAudit(connection)
        case .scans: try await seedScans(connection)
        }
    }

    /// Empties the audit log, then fills it with `rows` entries 400 days old and `rows` of today.
    func seedAudit(_ connection: PostgresConnection) async throws {
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

    /// Empties the scans, then gives 100 servers `rows` scans between 400 and 100 days old, every
    /// tenth failed, and one of today each (which stays); a 101st server, a host that only fails
    /// since, has one completed scan 400 days old (which stays) and `rows / 10` failed ones after
    /// it (all but the latest go). Each completed scan has 8 services, 4 filesystems, a package
    /// summary and 4 recommendations.
    func seedScans(_ connection: PostgresConnection) async throws {
        try await connection.query("TRUNCATE scans CASCADE")
        try await connection.query("DELETE FROM servers WHERE name LIKE $1", [Self.serverPrefix + "%"])
        try await connection.query(
            """
            INSERT INTO servers (name, host, username, auth_type, credential_ciphertext, credential_key_id)
            SELECT $1 || n, '10.0.0.' || n, 'backup', 'password', 'none', '0000000000000000' FROM generate_series(1, 101) AS n
            """, [Self.serverPrefix])
        try await connection.query(
            """
            WITH hosts AS (SELECT id, row_number() OVER (ORDER BY name) - 1 AS k FROM servers WHERE name LIKE $2 AND name <> $3),
                 failing AS (SELECT id FROM servers WHERE name = $3),
                 made AS (
                     SELECT hosts.id AS server_id, CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'completed' END AS status,
                            now() - interval '400 days' + (n * interval '300 days') / $1::int AS at
                     FROM generate_series(1, $1::int) AS n JOIN hosts ON hosts.k = n % 100
                     UNION ALL SELECT id, 'completed', now() - interval '1 hour' FROM hosts
                     UNION ALL SELECT id, 'completed', now() - interval '400 days' FROM failing
                     UNION ALL SELECT failing.id, 'failed', now() - interval '399 days' + (n * interval '299 days') / ($1::int / 10)
                     FROM failing, generate_series(1, $1::int / 10) AS n)
            INSERT INTO scans (server_id, scan_type, status, created_at, completed_at) SELECT server_id, 'quick', status, at, at FROM made
            """, [rows, Self.serverPrefix + "%", Self.serverPrefix + "101"])
        for (table, count, columns, values) in [
            ("scan_services", 8, "name", "'service-' || k"),
            ("scan_filesystems", 4, "mount_point, device, filesystem_type, total_bytes, used_bytes, available_bytes", "'/mnt/' || k, '/dev/sd' || k, 'ext4', 1e12, 4e11, 6e11"),
            ("scan_packages", 1, "manager", "'apt'"),
            ("backup_recommendations", 4, "kind, priority, title", "'filesystem', 'medium', 'Back up /mnt/' || k"),
        ] {
            try await connection.query(
                "INSERT INTO \(table) (scan_id, \(columns)) SELECT id, \(values) FROM scans, generate_series(1, \(count)) AS k WHERE status = 'completed'")
        }
        try await connection.query("VACUUM ANALYZE servers, scans, scan_services, scan_filesystems, scan_packages, backup_recommendations")
    }
}

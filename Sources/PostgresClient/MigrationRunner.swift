import Crypto
import Foundation
public import Logging

/// Applies the numbered SQL files of a directory (`0001_name.sql`, ...) once each, in order.
///
/// Each file runs in its own transaction and is recorded in `schema_migrations` with the SHA-256
/// of its text. A file edited after it was applied is refused, and runners started at the same
/// time on several instances take turns through an advisory lock.
public struct MigrationRunner: Sendable {
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
        public let checksum: String
    }

    /// What the database holds compared with the files.
    public struct Status: Sendable {
        public var applied: [Int]
        public var pending: [Migration]
        public var isCurrent: Bool { pending.isEmpty }
    }

    /// Key of the session advisory lock that serialises runners (ASCII "MMMIGRAT").
    static let advisoryLockKey: Int64 = 0x4D4D_4D49_4752_4154

    public let migrations: [Migration]
    private let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Loads `NNNN_name.sql` files from `directory`; other files are ignored.
    public init(directory: String, logger: Logger) throws(PostgresError) {
        self.init(migrations: try Self.load(directory: directory), logger: logger)
    }

    public static func load(directory: String) throws(PostgresError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw PostgresError(.migrationFailed, "cannot read migrations directory '\(directory)': \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        var seen: [Int: String] = [:]
        for file in names.sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw PostgresError(.migrationFailed, "migration file '\(file)' must be named NNNN_description.sql")
            }
            if let other = seen[version] {
                throw PostgresError(.migrationFailed, "migrations '\(other)' and '\(file)' share version \(version)")
            }
            seen[version] = file
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PostgresError(.migrationFailed, "cannot read migration '\(path)'")
            }
            let checksum = lowercaseHex(SHA256.hash(data: data))
            migrations.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: String(decoding: data, as: UTF8.self), checksum: checksum))
        }
        return migrations
    }

    /// Applies every pending migration and returns the ones it applied.
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> [Migration] {
        try await connection.query("SELECT pg_advisory_lock($1)", [Self.advisoryLockKey])
        do {
            let applied = try await applyPending(on: connection)
            try await connection.query("SELECT pg_advisory_unlock($1)", [Self.advisoryLockKey])
            return applied
        } catch {
            // The lock is per session: closing the connection releases it even if the unlock fails.
            if (try? await connection.query("SELECT pg_advisory_unlock($1)", [Self.advisoryLockKey])) == nil {
                await connection.close()
            }
            throw error
        }
    }

    /// Compares the files with `schema_migrations` without changing anything.
    public func status(on connection: PostgresConnection) async throws -> Status {
        let recorded = try await recordedChecksums(on: connection)
        try verify(recorded)
        return Status(applied: recorded.keys.sorted(), pending: migrations.filter { recorded[$0.version] == nil })
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Migration] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version bigint PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        let recorded = try await recordedChecksums(on: connection)
        try verify(recorded)
        var applied: [Migration] = []
        for migration in migrations where recorded[migration.version] == nil {
            do {
                try await connection.transaction { connection in
                    try connection.executeScript(migration.sql)
                    try connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, migration.checksum]
                    )
                }
            } catch let error as PostgresError {
                throw PostgresError(.migrationFailed, "migration \(migration.version)_\(migration.name) failed and was rolled back: \(error)", sqlState: error.sqlState)
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.version)_\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }

    private func recordedChecksums(on connection: PostgresConnection) async throws -> [Int: String] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try exists.first?.decode("present", as: Bool.self) == true else { return [:] }
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations").rows
        var recorded: [Int: String] = [:]
        for row in rows {
            recorded[try row.decode("version")] = try row.decode("checksum", as: String.self)
        }
        return recorded
    }

    private func verify(_ recorded: [Int: String]) throws(PostgresError) {
        for migration in migrations {
            if let checksum = recorded[migration.version], checksum != migration.checksum {
                throw PostgresError(
                    .migrationFailed,
                    "migration \(migration.version)_\(migration.name).sql was edited after it was applied (checksum \(checksum.prefix(12)) recorded, \(migration.checksum.prefix(12)) on disk); restore the original and add a new migration instead"
                )
            }
        }
    }
}

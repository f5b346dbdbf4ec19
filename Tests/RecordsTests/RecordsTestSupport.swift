import Foundation
import Logging
import PostgresClient
@testable import Records
import TestSupport

let testKeyHex = String(repeating: "ab", count: 32)
let otherKeyHex = String(repeating: "cd", count: 32)

/// A fresh, migrated database and the repositories over it.
struct RecordsFixture: Sendable {
    let database: PostgresPool
    let vault: CredentialVault
    var users: UserRepository { UserRepository(database: database, hasher: PasswordHasher(cost: 4)) }
    var servers: ServerRepository { ServerRepository(database: database, vault: vault) }
    var backups: BackupRepository { BackupRepository(database: database) }
    var schedules: BackupScheduleRepository { BackupScheduleRepository(database: database) }
    var scans: ScanRepository { ScanRepository(database: database) }
    var updates: UpdateRepository { UpdateRepository(database: database) }
    var attempts: JobAttemptRepository { JobAttemptRepository(database: database) }
    var audit: AuditLogRepository { AuditLogRepository(database: database) }

    static func run<Result>(_ body: (RecordsFixture) async throws -> Result) async throws -> Result {
        try await TestEnvironment.withMigratedDatabase(logger: testLogger()) { pool in
            try await body(RecordsFixture(database: pool, vault: CredentialVault(current: try EncryptionKey(hex: testKeyHex))))
        }
    }

    func makeServer(_ name: String = "web-1", host: String = "10.0.0.5", credential: String = "s3cret") async throws -> Server {
        try await servers.create(NewServer(name: name, host: host, username: "backup", authType: .password, credential: credential))
    }
}

/// The error a call throws, as a RecordError (nil when it succeeds).
func recordError(_ body: () async throws -> Void) async -> RecordError? {
    do {
        try await body()
        return nil
    } catch let error as RecordError {
        return error
    } catch {
        return RecordError(.internalFailure, field: nil, "\(error)")
    }
}

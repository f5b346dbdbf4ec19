import BlockingIO
import Foundation
import JSONSupport
import PostgresClient
@testable import Records
import Testing

@Suite struct RepositoryTests {
    @Test func usersPasswordsAndLockout() async throws {
        try await RecordsFixture.run { fixture in
            let user = try await fixture.users.create(username: "alice", email: "alice@example.com", password: "correct horse", role: .operator)
            #expect(user.role == .operator && user.active)
            #expect(try await fixture.users.find(username: "ALICE")?.id == user.id)
            #expect(try await fixture.users.authenticate(username: "alice", password: "correct horse")?.id == user.id)
            #expect(try await fixture.users.authenticate(username: "alice", password: "wrong") == nil)
            #expect(try await fixture.users.authenticate(username: "nobody", password: "x") == nil)
            // A password no hash can match is refused before the lookup: it counts no failure (so it
            // locks no one) and, skipping bcrypt for every username alike, tells none apart.
            for _ in 0..<10 { #expect(try await fixture.users.authenticate(username: "alice", password: String(repeating: "x", count: 73)) == nil) }
            let failures = try await fixture.database.query("SELECT failed_logins FROM users").first?.decode("failed_logins", as: Int.self)
            #expect(failures == 1, "only the one wrong password above counts")
            for _ in 0..<4 { _ = try await fixture.users.authenticate(username: "alice", password: "wrong", maxFailures: 5) }
            // Locked: even the right password is refused, with the same answer as a wrong one.
            #expect(try await fixture.users.authenticate(username: "alice", password: "correct horse") == nil)
            let updated = try await fixture.users.update(id: user.id, role: .admin, active: false)
            #expect(updated.role == .admin && !updated.active)
            #expect(try await fixture.users.list().total == 1)
            let stored = try await fixture.database.query("SELECT password_hash FROM users").first?.decode("password_hash", as: String.self)
            #expect(stored?.hasPrefix("$2b$04$") == true)
            let short = await recordError { _ = try await fixture.users.create(username: "x", password: "pw", role: .viewer) }
            #expect(short?.field == "username")
            // The password rule holds wherever a password is set (API, dashboard, CLI).
            let weak = await recordError { _ = try await fixture.users.create(username: "bob", password: "1234567", role: .viewer) }
            #expect(weak?.field == "password")
            #expect(await recordError { _ = try await fixture.users.update(id: user.id, password: "short") }?.field == "password")
        }
    }

    /// Guesses sent at once cannot all read "unlocked" before any of them failed: each counts before
    /// bcrypt runs, so a burst gets no more tries than the lock allows, and the right password in
    /// the burst after the lock is refused. A new password (an admin's remedy for a user others
    /// keep locked out) lifts the lock.
    @Test func aBurstOfGuessesGetsNoMoreTriesThanTheLock() async throws {
        try await RecordsFixture.run { fixture in
            let user = try await fixture.users.create(username: "carol", password: "correct horse", role: .admin)
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask { _ = try? await fixture.users.authenticate(username: "carol", password: "guess-\(index)") }
                }
            }
            let row = try #require(try await fixture.database.query("SELECT failed_logins, locked_until FROM users").first)
            #expect(try row.decode("failed_logins", as: Int.self) == 5, "attempts past the lock are not counted")
            #expect(try row.decodeIfPresent("locked_until", as: Date.self) != nil)
            #expect(try await fixture.users.authenticate(username: "carol", password: "correct horse") == nil, "locked")
            _ = try await fixture.users.update(id: user.id, password: "another horse")
            let signedIn = try await fixture.users.authenticate(username: "carol", password: "another horse")
            #expect(signedIn?.id == user.id && signedIn?.lockedUntil == nil && signedIn?.lastLoginAt != nil, "a new password lifts the lock")
        }
    }

    /// A sign-in turned away because the bcrypt pool is full (503) was never checked: it does not
    /// count toward the lock, so a flood that fills the pool locks nobody out.
    @Test func aSignInTurnedAwayAsBusyIsNotCounted() async throws {
        try await RecordsFixture.run { fixture in
            let users = UserRepository(database: fixture.database, hasher: PasswordHasher(cost: 10, pool: BlockingPool(threads: 1, maxAdmitted: 1)))
            _ = try await users.create(username: "dora", password: "correct horse", role: .viewer)
            let outcomes = await withTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        do { return try await users.authenticate(username: "dora", password: "guess-\(index)", maxFailures: 100) == nil ? "refused" : "match" } catch {
                            return "busy"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.contains("busy"))
            let counted = try await fixture.database.query("SELECT failed_logins FROM users").first?.decode("failed_logins", as: Int.self)
            #expect(counted == outcomes.filter { $0 == "refused" }.count, "\(outcomes)")
        }
    }

    /// Two admins demoting each other at once, or deleting the last one, never leaves none.
    @Test func theLastActiveAdminStays() async throws {
        try await RecordsFixture.run { fixture in
            let viewer = try await fixture.users.create(username: "watcher", password: "pw-watcher", role: .viewer)
            _ = try await fixture.users.update(id: viewer.id, email: "w@example.com")  // no admin yet: nothing to keep
            let first = try await fixture.users.create(username: "admin-a", password: "pw-admin-a", role: .admin)
            let second = try await fixture.users.create(username: "admin-b", password: "pw-admin-b", role: .admin)
            for _ in 0..<5 {
                async let demoteFirst: Result<User, RecordError> = Self.outcome { () async throws(RecordError) in try await fixture.users.update(id: first.id, role: .viewer) }
                async let demoteSecond: Result<User, RecordError> = Self.outcome { () async throws(RecordError) in try await fixture.users.update(id: second.id, active: false) }
                let outcomes = await [demoteFirst, demoteSecond]
                let refused = outcomes.compactMap { if case .failure(let error) = $0 { error } else { nil } }
                #expect(refused.count == 1 && refused.first?.kind == .conflict, "\(outcomes)")
                let admins = try await fixture.database.query("SELECT count(*)::bigint AS n FROM users WHERE role = 'admin' AND active").first?.decode("n", as: Int64.self)
                #expect(admins == 1)
                _ = try await fixture.users.update(id: first.id, role: .admin, active: true)
                _ = try await fixture.users.update(id: second.id, role: .admin, active: true)
            }
            #expect(try await fixture.users.delete(id: second.id))
            let last = await recordError { _ = try await fixture.users.delete(id: first.id) }
            #expect(last?.kind == .conflict && last?.message.contains("no active admin") == true)
            #expect(try await fixture.users.find(id: first.id)?.role == .admin)
        }
    }

    static func outcome(_ body: () async throws(RecordError) -> User) async -> Result<User, RecordError> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    @Test func tokensAreStoredHashedAndCanBeRevoked() async throws {
        try await RecordsFixture.run { fixture in
            let user = try await fixture.users.create(username: "robot", password: "pw-robot", role: .viewer)
            let (token, record) = try await fixture.users.createToken(userId: user.id, name: "ci")
            #expect(token.hasPrefix("mm_") && token.count == 67)
            let stored = try await fixture.database.query("SELECT token_hash FROM api_tokens").first?.decode("token_hash", as: String.self)
            #expect(stored != token && stored?.count == 64)
            let found = try #require(try await fixture.users.user(forToken: token))
            #expect(found.0.id == user.id && found.0.username == "robot" && found.1.id == record.id)
            #expect(try await fixture.users.user(forToken: token + "x") == nil)
            #expect(try await fixture.users.revokeToken(id: record.id) != nil)
            #expect(try await fixture.users.user(forToken: token) == nil)
            let (expired, _) = try await fixture.users.createToken(userId: user.id, name: "old", expiresAt: Date(timeIntervalSinceNow: -60))
            #expect(try await fixture.users.user(forToken: expired) == nil)
        }
    }

    @Test func serversRoundTripWithoutExposingTheCredential() async throws {
        try await RecordsFixture.run { fixture in
            let created = try await fixture.servers.create(
                NewServer(
                    name: "db-1", host: "::1", port: 2222, username: "backup", authType: .key, credential: "-----BEGIN KEY-----",
                    tags: ["prod", "db"], description: "primary"))
            let found = try #require(try await fixture.servers.find(id: created.id))
            #expect(found == created)
            #expect(found.host == "::1" && found.tags == ["prod", "db"] && found.hostKeyFingerprint == nil)
            #expect(try await fixture.servers.credential(for: created.id).secret == "-----BEGIN KEY-----")
            let raw = try await fixture.database.query("SELECT credential_ciphertext FROM servers").first?.decode("credential_ciphertext", as: String.self)
            #expect(raw?.contains("BEGIN") == false)
            let fingerprint = "SHA256:" + String(repeating: "A", count: 43)
            try await fixture.servers.pinHostKey(created, fingerprint: fingerprint)
            let repin = await recordError { try await fixture.servers.pinHostKey(created, fingerprint: "SHA256:" + String(repeating: "B", count: 43)) }
            #expect(repin?.kind == .conflict)
            let moved = try await fixture.servers.update(id: created.id, host: "db-1.example.com", credential: "new-secret")
            #expect(moved.hostKeyFingerprint == nil)
            #expect(try await fixture.servers.credential(for: created.id).secret == "new-secret")
            // A key given is pinned; a key login turned into a password one loses a first-contact pin.
            let given = try await fixture.servers.update(id: created.id, hostKeyFingerprint: fingerprint)
            #expect(given.hostKeyFingerprint == fingerprint)
            let password = try await fixture.servers.update(id: created.id, authType: .password, credential: "a-password")
            #expect(password.hostKeyFingerprint == nil)
            // A first contact that began while it was a key login pins nothing now.
            #expect(await recordError { try await fixture.servers.pinHostKey(given, fingerprint: fingerprint) }?.kind == .conflict)
            let pinnedWithIt = try await fixture.servers.update(id: created.id, authType: .password, hostKeyFingerprint: fingerprint)
            #expect(pinnedWithIt.hostKeyFingerprint == fingerprint, "a password server keeps a key given in the same change")
            #expect(try await fixture.servers.list(tag: "db").items.map(\.name) == ["db-1"])
            #expect(try await fixture.servers.delete(id: created.id))
        }
    }

    @Test func failedAttemptThenSuccessLeavesAConsistentBackup() async throws {
        try await RecordsFixture.run { fixture in
            let server = try await fixture.makeServer()
            let backup = try await fixture.backups.create(
                serverId: server.id, kind: .manual, paths: ["/etc", "/var/www"], exclusions: ["*.tmp"],
                compression: .zstd, jobId: nil)
            let jobId = backup.id.uuidString.lowercased()
            // Attempt 1 fails (retryable); the row stays running until the job's final outcome.
            try await fixture.backups.markRunning(id: backup.id, jobId: jobId)
            let first = try await fixture.attempts.start(queue: "backup-queue", jobId: jobId, jobName: "backup:manual", attempt: 1, worker: "w1")
            try await fixture.attempts.finish(id: first.id, state: .failed, error: "connection reset")
            try await Task.sleep(for: .milliseconds(20))
            // Attempt 2 starts later and succeeds: no constraint trips.
            try await fixture.backups.markRunning(id: backup.id, jobId: jobId)
            let second = try await fixture.attempts.start(queue: "backup-queue", jobId: jobId, jobName: "backup:manual", attempt: 2, worker: "w2")
            let done = try await fixture.backups.markCompleted(
                id: backup.id, filePath: "/backups/x.tar.zst", size: 1234,
                sha256: String(repeating: "f", count: 64), warning: "file changed as we read it")
            try await fixture.attempts.finish(id: second.id, state: .completed)
            #expect(done.status == .completed && done.attempts == 2 && done.error == nil && done.jobId == jobId)
            #expect((done.completedAt ?? .distantPast) >= (done.startedAt ?? .distantFuture))
            #expect(done.paths == ["/etc", "/var/www"] && done.compression == .zstd && done.size == 1234)
            let attempts = try await fixture.attempts.attempts(queue: "backup-queue", jobId: jobId)
            #expect(attempts.map(\.state) == [.failed, .completed])
            // A completed backup does not start again, and a late failure does not overwrite it.
            #expect(await recordError { try await fixture.backups.markRunning(id: backup.id, jobId: jobId) }?.kind == .conflict)
            try await fixture.backups.markFailed(id: backup.id, error: "late")
            #expect(try await fixture.backups.find(id: backup.id)?.status == .completed)
            try await fixture.backups.setVerification(id: backup.id, .verified)
            #expect(try await fixture.backups.find(id: backup.id)?.verification == .verified)
            #expect(try await fixture.backups.list(serverId: server.id, status: .completed).total == 1)
        }
    }

    /// A failure's text often carries a hostile host's output: a NUL (which PostgreSQL refuses)
    /// or an escape must not stop the record from settling, or reach a terminal as itself.
    @Test func failureTextsWithControlCharactersAreStoredEscaped() async throws {
        try await RecordsFixture.run { fixture in
            let server = try await fixture.makeServer()
            let update = try await fixture.updates.create(serverId: server.id, mode: .apply)
            try await fixture.updates.markFailed(id: update.id, error: "apt-get exited with status 100: E:\u{0} lock\u{1B}[2J\nnext line")
            let failed = try #require(try await fixture.updates.find(id: update.id))
            #expect(failed.status == .failed && failed.error == "apt-get exited with status 100: E:\\u{0} lock\\u{1B}[2J\nnext line")
            let attempt = try await fixture.attempts.start(queue: "update-queue", jobId: "nul-attempt", jobName: "update:server", attempt: 1, worker: "w1")
            try await fixture.attempts.finish(id: attempt.id, state: .failed, error: "bad\u{0}byte")
            #expect(try await fixture.attempts.attempts(queue: "update-queue", jobId: "nul-attempt").first?.error == "bad\\u{0}byte")
        }
    }

    @Test func schedulesScansUpdatesAndAuditRoundTrip() async throws {
        try await RecordsFixture.run { fixture in
            let server = try await fixture.makeServer()
            let due = Date(timeIntervalSince1970: 1_800_000_000)
            let schedule = try await fixture.schedules.create(
                ScheduleDefinition(
                    serverId: server.id, cron: "30 2 * * *", timezone: "Europe/Berlin", paths: ["/srv"],
                    retention: RetentionPolicy(keepLast: 3, daily: 7)), nextRunAt: due)
            #expect(schedule.retention == RetentionPolicy(keepLast: 3, daily: 7) && schedule.timezone == "Europe/Berlin")
            #expect(try await fixture.schedules.due(at: due).map(\.id) == [schedule.id])
            #expect(try await fixture.schedules.advance(id: schedule.id, from: due, to: due.addingTimeInterval(86_400)))
            #expect(try await !fixture.schedules.advance(id: schedule.id, from: due, to: due.addingTimeInterval(86_400)))

            let scan = try await fixture.scans.create(serverId: server.id, scanType: .full)
            try await fixture.scans.markRunning(id: scan.id, jobId: scan.id.uuidString)
            let findings = ScanFindings(
                services: [
                    .init(
                        name: "postgresql", serviceType: "database", status: "running", processId: 812, ports: [5432],
                        dataPaths: ["/var/lib/postgresql"], backupPriority: 9)
                ],
                filesystems: [
                    .init(
                        mountPoint: "/", device: "/dev/sda1", filesystemType: "ext4", totalBytes: 50_000_000_000,
                        usedBytes: 20_000_000_000, availableBytes: 30_000_000_000, isSystem: true)
                ],
                containers: [.init(containerId: "abc", name: "web", image: "nginx:1.27", state: "running", hostPorts: [8080], volumes: ["/srv/www"])],
                packages: [.init(manager: "apt", installedCount: 512, upgradableCount: 2, upgradable: ["openssl", "curl"])],
                recommendations: [.init(kind: "database", priority: "critical", title: "Dump PostgreSQL", paths: ["/var/lib/postgresql"])])
            let completed = try await fixture.scans.complete(id: scan.id, summary: ["os": "Debian 12"], findings: findings)
            #expect(completed.status == .completed && completed.summary == ["os": "Debian 12"])
            #expect(try await fixture.scans.findings(scanId: scan.id) == findings)

            let update = try await fixture.updates.create(serverId: server.id, mode: .apply)
            try await fixture.updates.markRunning(id: update.id, jobId: nil)
            let applied = try await fixture.updates.complete(
                id: update.id, packageManager: "apt", upgradable: ["openssl"],
                upgraded: ["openssl"], rebootRequired: true, log: String(repeating: "x", count: 300_000))
            #expect(applied.log.count == Update.maximumLogLength && applied.rebootRequired == true)

            let entry = try await fixture.audit.record(
                userId: nil, actor: "alice", action: "server.create", resourceType: "server",
                resourceId: server.id.uuidString, outcome: .success, clientAddress: "127.0.0.1", details: ["name": "web-1"])
            #expect(try await fixture.audit.list(resourceType: "server").items == [entry])
        }
    }
}

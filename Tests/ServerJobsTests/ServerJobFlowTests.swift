import BlockingIO
import CoreMetrics
import Foundation
import JobQueue
import Logging
import PlatformRuntime
import PostgresClient
import Records
import RedisClient
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing
import Tracing

/// Records in PostgreSQL, jobs in Redis, work on the sshd test host: the whole path of a job,
/// wired through `PlatformServices` as the platform wires itself.
struct FlowFixture: Sendable {
    let services: PlatformServices
    var database: PostgresPool { services.resources.postgres }
    var redis: RedisConnectionPool { services.resources.redis }
    var vault: CredentialVault { services.vault }
    /// `BACKUP_DIR`.
    var storage: String { services.configuration.backupDirectory }
    var prefix: String { services.configuration.queuePrefix }
    var dispatcher: ServerJobDispatcher { services.dispatcher }
    var servers: ServerRepository { services.servers }
    var backups: BackupRepository { services.backups }
    var scans: ScanRepository { services.scans }
    var updates: UpdateRepository { services.updates }
    var attempts: JobAttemptRepository { services.attempts }
    var schedules: BackupScheduleRepository { services.schedules }
    var launcher: ServerJobLauncher { services.launcher }
    func archiveKeys(encrypt: Bool = false) -> ArchiveKeys { ArchiveKeys(vault: vault, sealNewArchives: encrypt, settings: nil) }

    static func run(jobOptions: JobOptions = JobOptions(attempts: 3, backoff: .fixed(100)), _ body: (FlowFixture) async throws -> Void) async throws {
        try await TestEnvironment.withMigratedDatabase(logger: testLogger()) { pool in
            let vault = CredentialVault(current: try EncryptionKey(hex: String(repeating: "5a", count: 32)))
            var configuration = PlatformConfiguration(
                vault: vault, backupDirectory: try temporaryStorage(), queuePrefix: TestEnvironment.uniqueName("mmflow"))
            configuration.jobOptions = jobOptions
            configuration.encryptBackups = false  // `withWorkers(encrypt:)` decides
            let redis = try TestEnvironment.redisPool(maxConnections: 24, logger: testLogger())
            // Cleaned up whether the setup, or the body, passes or throws.
            var queues: [Queue] = []
            try await withCleanup {
                let resources = PlatformResources(
                    configuration: configuration, redis: redis, postgres: pool, migrations: MigrationRunner(migrations: [], logger: testLogger()))
                let fixture = FlowFixture(
                    services: try PlatformServices(
                        resources: resources, vault: vault, jobMetrics: ServerJobMetrics(factory: NOOPMetricsHandler.instance), tracer: NoOpTracer(),
                        logger: testLogger()))
                queues = fixture.dispatcher.allQueues
                try await body(fixture)
            } cleanup: {
                for queue in queues { try? await queue.obliterate(force: true) }
                await redis.close()
                try? FileManager.default.removeItem(atPath: configuration.backupDirectory)
            }
        }
    }

    /// A server on the test host; a password server has the host's key pinned (a password goes to
    /// no other) unless `pinned` is false.
    func makeServer(_ name: String, password: String? = nil, port: Int? = nil, fingerprint: String? = nil, pinned: Bool = true) async throws -> Server {
        let keys = try TestEnvironment.require("MM_TEST_SSH_KEYS")
        let pin = try fingerprint ?? (password != nil && pinned ? TestEnvironment.require("MM_TEST_SSH_FINGERPRINT") : nil)
        return try await servers.create(
            NewServer(
                name: name, host: try TestEnvironment.require("MM_TEST_SSH_HOST"),
                port: port ?? Int(try TestEnvironment.require("MM_TEST_SSH_PORT")) ?? 22, username: try TestEnvironment.require("MM_TEST_SSH_USER"),
                authType: password == nil ? .key : .password,
                credential: try password ?? String(contentsOfFile: keys + "/id_ed25519", encoding: .utf8), hostKeyFingerprint: pin))
    }

    /// The platform's processor dependencies, with the suites' short timeouts: a 5 s connect
    /// timeout, a busy server retried after 200 ms, a 30 s lease.
    func processorDependencies(
        notifier: any Notifier = SilentNotifier(), archives: BackupStorage? = nil, encrypt: Bool = false
    ) -> ServerJobProcessor.Dependencies {
        var dependencies = services.processorDependencies(lease: ServerLease(redis: redis, prefix: prefix, duration: .seconds(30)), notifier: notifier)
        dependencies.storage = archives ?? dependencies.storage
        dependencies.connector.connectTimeout = .seconds(5)
        dependencies.busyRetryDelay = .milliseconds(200)
        dependencies.archiveKeys = archiveKeys(encrypt: encrypt)
        return dependencies
    }

    /// Runs the workers of all three queues while `body` runs; outcomes are reported to `notifier`.
    /// `encrypt` seals new archives; sealed ones open either way.
    func withWorkers(
        notifier: any Notifier = SilentNotifier(), archives: BackupStorage? = nil, encrypt: Bool = false,
        _ body: () async throws -> Void
    ) async throws {
        let dependencies = processorDependencies(notifier: notifier, archives: archives, encrypt: encrypt)
        let processor = ServerJobProcessor(dependencies: dependencies, logger: testLogger(), workerName: "test-worker")
        var workers: [Worker] = []
        for definition in ServerJobQueue.all {
            guard let queue = dispatcher.queue(definition) else { continue }
            workers.append(
                Worker(
                    queue: queue,
                    options: WorkerOptions(
                        concurrency: definition.concurrency, lockDuration: definition.lockDuration,
                        drainDelay: .milliseconds(200)),
                    logger: testLogger(), processor: { try await processor.process($0) }))
        }
        let running = workers.map { worker in Task { try await worker.runUntilClosed() } }
        try await withCleanup {
            try await body()
        } cleanup: {
            for worker in workers { worker.close() }
            for task in running { _ = try? await task.value }
        }
    }
}

/// Polls every 50 ms for up to 30 s: the flow tests' default.
func waitFor(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
    try await eventually(timeout: timeout, every: .milliseconds(50), condition)
}

@Suite(.removesSourceTrees) struct ServerJobFlowTests {
    @Test func backupJobCompletesVerifiesAndPinsTheHostKey() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("flow-web")
            let source = try await sourceTree()
            let backup = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: [source])
            let jobId = try await fixture.dispatcher.enqueue(.manualBackup, recordId: backup.id)
            #expect(jobId == backup.id.uuidString.lowercased())
            #expect(try await fixture.dispatcher.enqueue(.manualBackup, recordId: backup.id) == jobId)  // idempotent
            try await fixture.withWorkers { () async throws in
                #expect(try await waitFor { try await fixture.backups.find(id: backup.id)?.verification == .verified })
            }
            let done = try #require(try await fixture.backups.find(id: backup.id))
            #expect(done.status == .completed && done.attempts == 1 && done.sha256?.count == 64)
            #expect(done.filePath?.hasPrefix(server.id.uuidString.lowercased() + "/") == true, "stored relative to BACKUP_DIR")
            #expect(try ArchiveVerifier.sha256(of: try BackupStorage(root: fixture.storage).archivePath(of: done)) == done.sha256)
            #expect(try await fixture.servers.find(id: server.id)?.hostKeyFingerprint == (try TestEnvironment.require("MM_TEST_SSH_FINGERPRINT")))
            #expect(try await fixture.attempts.attempts(queue: "backup-queue", jobId: jobId).map(\.state) == [.completed])
            let queue = try #require(fixture.dispatcher.queue(.backup))
            let job = try #require(try await queue.getJob(jobId))
            #expect(job.returnValue?["sha256"] == .string(done.sha256 ?? ""))
            #expect(!job.rawData.contains("BEGIN"))  // no credential in the payload
        }
    }

    @Test func failuresAreClassified() async throws {
        try await FlowFixture.run { fixture in
            let wrongPassword = try await fixture.makeServer("flow-badpw", password: "not-the-password")
            let closedPort = try await fixture.makeServer("flow-closed", port: 1)
            let otherKey = try await fixture.makeServer("flow-mitm", fingerprint: "SHA256:" + String(repeating: "Q", count: 43))
            let unpinned = try await fixture.makeServer("flow-unpinned", password: "a-password", pinned: false)
            var backups: [(UUID, Int)] = []
            for (server, expectedAttempts) in [(wrongPassword, 1), (closedPort, 3), (otherKey, 1), (unpinned, 1)] {
                let backup = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: ["/etc/hostname"])
                try await fixture.dispatcher.enqueue(.manualBackup, recordId: backup.id)
                backups.append((backup.id, expectedAttempts))
            }
            try await fixture.withWorkers { () async throws in
                #expect(
                    try await waitFor {
                        var failed = 0
                        for (id, _) in backups where try await fixture.backups.find(id: id)?.status == .failed { failed += 1 }
                        return failed == backups.count
                    })
            }
            for (id, expected) in backups {
                let attempts = try await fixture.attempts.attempts(queue: "backup-queue", jobId: id.uuidString.lowercased())
                #expect(attempts.count == expected, "backup \(id): \(attempts.map(\.error))")
            }
            #expect(try await fixture.backups.find(id: backups[2].0)?.error?.contains("host key") == true)
            #expect(try await fixture.backups.find(id: backups[0].0)?.error?.contains("rejected the credentials") == true)
            #expect(try await fixture.backups.find(id: backups[3].0)?.error?.contains("was not sent its password") == true)
            #expect(try await fixture.servers.find(id: unpinned.id)?.hostKeyFingerprint == nil, "nothing pinned without a check")
        }
    }

    @Test func jobsForOneServerNeverOverlap() async throws {
        try await FlowFixture.run { fixture in
            let shared = try await fixture.makeServer("flow-shared")
            let other = try await fixture.makeServer("flow-other")
            let source = try await sourceTree(32)
            var ids: [UUID] = []
            for server in [shared, shared, other] {
                let backup = try await fixture.backups.create(serverId: server.id, kind: .manual, paths: [source], compression: .gzip)
                try await fixture.dispatcher.enqueue(.manualBackup, recordId: backup.id)
                ids.append(backup.id)
            }
            let scan = try await fixture.scans.create(serverId: shared.id, scanType: .quick)
            try await fixture.dispatcher.enqueue(.quickScan, recordId: scan.id)
            try await fixture.withWorkers { () async throws in
                #expect(
                    try await waitFor(timeout: .seconds(60)) {
                        var done = 0
                        for id in ids where try await fixture.backups.find(id: id)?.status == .completed { done += 1 }
                        let scanned = try await fixture.scans.find(id: scan.id)?.status == .completed
                        return done == 3 && scanned
                    })
            }
            var intervals: [(Date, Date)] = []
            for id in ids.prefix(2) {
                let attempt = try #require(try await fixture.attempts.attempts(queue: "backup-queue", jobId: id.uuidString.lowercased()).last)
                intervals.append((attempt.startedAt, attempt.finishedAt ?? .distantFuture))
            }
            let scanAttempt = try #require(try await fixture.attempts.attempts(queue: "scan-queue", jobId: scan.id.uuidString.lowercased()).last)
            intervals.append((scanAttempt.startedAt, scanAttempt.finishedAt ?? .distantFuture))
            for (index, first) in intervals.enumerated() {
                for second in intervals.dropFirst(index + 1) {
                    #expect(first.1 <= second.0 || second.1 <= first.0, "two jobs for one server overlapped")
                }
            }
            // The other server's backup did not wait for them: it ran alongside one of them.
            let otherAttempt = try #require(try await fixture.attempts.attempts(queue: "backup-queue", jobId: ids[2].uuidString.lowercased()).last)
            let otherInterval = (otherAttempt.startedAt, otherAttempt.finishedAt ?? .distantFuture)
            #expect(intervals.prefix(2).contains { $0.0 < otherInterval.1 && otherInterval.0 < $0.1 })
        }
    }

    @Test func scanAndUpdateJobsStoreTheirFindings() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("flow-scan")
            let scan = try await fixture.scans.create(serverId: server.id, scanType: .full)
            let update = try await fixture.updates.create(serverId: server.id, mode: .check)
            try await fixture.dispatcher.enqueue(.fullScan, recordId: scan.id)
            try await fixture.dispatcher.enqueue(.update, recordId: update.id)
            try await fixture.withWorkers { () async throws in
                #expect(
                    try await waitFor {
                        let scanned = try await fixture.scans.find(id: scan.id)?.status == .completed
                        let updated = try await fixture.updates.find(id: update.id)?.status == .completed
                        return scanned && updated
                    })
            }
            let findings = try await fixture.scans.findings(scanId: scan.id)
            #expect(findings.services.contains { $0.name == "sshd" })
            #expect(findings.filesystems.allSatisfy { $0.totalBytes > 1_000_000 })
            #expect(try await fixture.scans.find(id: scan.id)?.summary["os"]?.stringValue?.isEmpty == false)
            #expect(try await fixture.updates.find(id: update.id)?.packageManager == "apt-get")
        }
    }
}

import Foundation
import JobQueue
import PostgresClient
import Records
@testable import ServerJobs
import TestSupport
import Testing

/// A `medicineman serve` killed with SIGKILL in the middle of a backup; after a restart the
/// backup completes by a retry and nothing is left behind.
@Suite(.removesSourceTrees) struct CrashRecoveryTests {
    func partialFiles(under root: String) -> [String] {
        let walker = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let relative = walker?.nextObject() as? String {
            if relative.hasSuffix(".partial") { found.append(root + "/" + relative) }
        }
        return found
    }

    @Test(.exclusive) func killedMidBackupTheRestartedProcessCompletesItAndLeavesNoTrace() async throws {
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("crash")
            let source = try await sourceTree(64)
            var environment = try PlatformProcess.environment(
                databaseURL: try #require(fixture.database.configuration.url),
                queuePrefix: fixture.prefix, backupDirectory: fixture.storage)
            environment["JOB_LOCK_SECONDS"] = "4"  // a crashed worker's job is recovered after its lock expires
            environment["SCHEDULER_INTERVAL_SECONDS"] = "1"
            let first = try await PlatformProcess(["serve"], environment: environment)
            let (record, _) = try await fixture.launcher.startBackup(serverId: server.id, paths: [source], exclusions: [], compression: .gzip)
            let streaming = try await waitFor(timeout: .seconds(60)) {
                self.partialFiles(under: fixture.storage).contains { path in
                    ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) > 4 << 20
                }
            }
            try await first.kill()
            #expect(streaming, "the backup never started streaming: \(first.child.errorOutput.suffix(2000))")
            #expect(try await fixture.backups.find(id: record.id)?.status == .running)

            let second = try await PlatformProcess(["serve"], environment: environment)
            let completed = try await waitFor(timeout: .seconds(120)) { try await fixture.backups.find(id: record.id)?.status == .completed }
            let log = second.child.errorOutput
            try await second.stop()
            #expect(completed, "not completed after the restart: \(log.suffix(3000))")
            let done = try #require(try await fixture.backups.find(id: record.id))
            #expect(done.attempts == 2, "the first attempt died with the process; the retry finished it")
            #expect(try await fixture.backups.running().isEmpty)
            #expect(partialFiles(under: fixture.storage).isEmpty)
            let archive = try BackupStorage(root: fixture.storage).archivePath(of: done)
            #expect(FileManager.default.fileExists(atPath: archive))
            #expect(try ArchiveVerifier.sha256(of: archive) == done.sha256)
        }
    }
}

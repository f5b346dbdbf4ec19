import Foundation
import JobQueue
import PostgresClient
import Records
@testable import ServerJobs
import SSHClient
import TestSupport
import Testing

/// Separate `medicineman` processes sharing one bucket, each with a `BACKUP_DIR` of its own: a
/// worker backs up, and an API process (with another worker) verifies, restores and deletes.
@Suite(.removesSourceTrees) struct ObjectStoreProcessTests {
    @Test(.exclusive) func aBackupMadeByOneWorkerIsVerifiedRestoredAndDeletedThroughAnotherProcess() async throws {
        let store = try await testObjectStore(prefix: "fleet/")
        try await FlowFixture.run { fixture in
            let server = try await fixture.makeServer("s3-processes")
            let source = try await sourceTree(3)
            let databaseURL = try #require(fixture.database.configuration.url)
            func environment(_ directory: String) throws -> [String: String] {
                var environment = try PlatformProcess.environment(databaseURL: databaseURL, queuePrefix: fixture.prefix, backupDirectory: directory)
                environment["BACKUP_STORAGE"] = "s3"
                environment["S3_ENDPOINT"] = try TestEnvironment.require("MM_TEST_S3_ENDPOINT")
                environment["S3_REGION"] = try TestEnvironment.require("MM_TEST_S3_REGION")
                environment["S3_ACCESS_KEY_ID"] = try TestEnvironment.require("MM_TEST_S3_ACCESS_KEY_ID")
                environment["S3_SECRET_ACCESS_KEY"] = try TestEnvironment.require("MM_TEST_S3_SECRET_ACCESS_KEY")
                environment["S3_BUCKET"] = store.settings.bucket
                environment["S3_PREFIX"] = "fleet/"
                environment["S3_PATH_STYLE"] = "true"
                return environment
            }
            let directories = [try temporaryStorage(), try temporaryStorage(), try temporaryStorage()]

            // Machine B: a worker backs up into the bucket, then goes away.
            let backupWorker = try await PlatformProcess(["worker"], environment: try environment(directories[0]))
            let (record, _) = try await fixture.launcher.startBackup(serverId: server.id, paths: [source], exclusions: [], compression: .gzip)
            let verified = try await waitFor(timeout: .seconds(120)) { try await fixture.backups.find(id: record.id)?.verification == .verified }
            let workerLog = backupWorker.child.errorOutput
            try await backupWorker.stop()
            #expect(verified, "the backup was not made and verified: \(workerLog.suffix(3000))")
            let done = try #require(try await fixture.backups.find(id: record.id))
            #expect(done.storage == .objectStore)
            let key = "fleet/" + (done.filePath ?? "")
            #expect(try await store.size(of: key) == done.size)

            // Machine A: the API (and a worker of its own) with other directories.
            let apiEnvironment = try environment(directories[1])
            let api = try await PlatformProcess(["api"], environment: apiEnvironment)
            let restoreWorker = try await PlatformProcess(["worker"], environment: try environment(directories[2]))
            try await PlatformProcess.createUser("ops", role: "admin", password: "ops-password-1", environment: apiEnvironment)
            let token = try await PlatformProcess.createToken(for: "ops", name: "s3", environment: apiEnvironment)
            func call(_ method: String, _ path: String, _ body: String = "{}") async throws -> String {
                try await ChildProcess.run(
                    "/usr/bin/curl",
                    [
                        "-sS", "-X", method, "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
                        "--data", body, api.baseURL + path,
                    ], timeout: .seconds(120))
            }
            let id = record.id.uuidString.lowercased()
            try await fixture.backups.setVerification(id: record.id, .failed, error: "reset by the test")
            let answer = try await call("POST", "/api/backups/\(id)/verify")
            #expect(try await fixture.backups.find(id: record.id)?.verification == .verified, "\(answer)")

            let session = try await connectTestHost()
            let home = try await session.run("printf %s \"$HOME\"").stdout
            let target = "\(home)/\(TestEnvironment.uniqueName("s3proc"))"
            let queued = try await call("POST", "/api/backups/\(id)/restore", #"{"target":"\#(target)"}"#)
            #expect(queued.contains("restore queued"), "\(queued)")
            let original = try await session.run("sha256sum < \(ShellArgument.quote(source + "/data"))").stdout
            let restored = try await waitFor(timeout: .seconds(120)) {
                try await session.run("sha256sum < \(ShellArgument.quote(target + source + "/data")) 2>/dev/null").stdout == original
            }
            #expect(restored, "the restore did not arrive: \(restoreWorker.child.errorOutput.suffix(3000))")

            let deleted = try await call("DELETE", "/api/backups/\(id)")
            #expect(deleted.contains("\"fileRemoved\":true"), "\(deleted)")
            #expect(try await store.size(of: key) == nil)
            try await restoreWorker.stop()
            try await api.stop()
            for directory in directories { #expect(filesUnder(directory).isEmpty, "\(directory) holds no archive") }
            _ = try await session.run("rm -rf -- \(ShellArgument.quote(source)) \(ShellArgument.quote(target))")
            await session.close()
        }
    }
}

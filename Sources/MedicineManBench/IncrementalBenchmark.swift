import ArgumentParser
import BlockingIO
import Foundation
import Logging
import Records
import SSHClient
import ServerJobs

/// An incremental backup of a tree after a small share of it changed, beside a full backup of the
/// same tree in the same run: seconds and bytes stored.
struct IncrementalBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incremental",
        abstract: "Back up a remote tree in full (starting a chain), change --changed-percent of its files, back up the changes; compare time and bytes.")

    @OptionGroup var target: SSHTargetOptions
    @Option(help: "Megabytes of test data on the host (files of 1 MiB, random).") var megabytes = 1024
    @Option(help: "Percent of the files rewritten between the two backups.") var changedPercent = 1
    @Option(help: "Local directory for the archives.") var output = NSTemporaryDirectory()
    @Option(help: "gzip | zstd | none.") var compression = "none"

    func validate() throws {
        guard Compression(rawValue: compression) != nil else { throw ValidationError("--compression must be gzip, zstd or none") }
        guard (1...100).contains(changedPercent), megabytes >= 100 else { throw ValidationError("--changed-percent 1-100, --megabytes at least 100") }
    }

    func run() async throws {
        let logger = BenchRedis.logger()
        let session = try await target.connect(logger: logger)
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let source = "\(home)/medicineman-bench-incremental"
        let quoted = ShellArgument.quote(source)
        _ = try await session.run("rm -rf \(quoted) && mkdir -p \(quoted) && cd \(quoted) && for i in $(seq 1 \(megabytes)); do " + "head -c 1048576 /dev/urandom > f$i; done", timeout: .seconds(900))
        let storage = BackupStorage(root: output)
        let runner = BackupRunner(storage: storage, logger: logger)
        let codec = Compression(rawValue: compression) ?? .none
        func backUp(snapshot: [UInt8]) async throws -> (seconds: Double, outcome: BackupOutcome) {
            let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: codec, tarSnapshot: snapshot)
            let started = ContinuousClock.now
            let outcome = try await runner.run(request, on: session) { _ in }
            return ((ContinuousClock.now - started).inSeconds, outcome)
        }
        let full = try await backUp(snapshot: [])
        let changed = max(1, megabytes * changedPercent / 100)
        _ = try await session.run(
            "cd \(quoted) && sleep 1 && for i in $(seq 1 \(changed)); do head -c 1048576 /dev/urandom > f$i; done",
            timeout: .seconds(300))
        let incremental = try await backUp(snapshot: full.outcome.tarSnapshot ?? [])
        for outcome in [full.outcome, incremental.outcome] { try? FileManager.default.removeItem(atPath: outcome.localPath) }
        _ = try await session.run("rm -rf \(quoted)")
        await session.close()
        print(
            String(
                format: "tree %d MB, %d files changed: full %.2f s, %.1f MB; incremental %.2f s, %.1f MB",
                megabytes, changed, full.seconds, Double(full.outcome.size) / 1e6, incremental.seconds, Double(incremental.outcome.size) / 1e6))
        print(
            String(
                format: #"{"megabytes":%d,"changed_files":%d,"full_seconds":%.2f,"full_bytes":%d,"incremental_seconds":%.2f,"incremental_bytes":%d}"#,
                megabytes, changed, full.seconds, full.outcome.size, incremental.seconds, incremental.outcome.size))
    }
}

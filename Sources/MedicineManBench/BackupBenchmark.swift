import ArgumentParser
import Foundation
import Logging
import Records
import ServerJobs
import SSHClient

/// Backup throughput over SSH against the OpenSSH client doing the same work in the same run:
/// `ssh host 'tar czf - DIR' > file`.
struct BackupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Stream tar czf of a remote directory with our backup runner and with ssh; compare MB/s. Also times a full scan.")

    @Option(help: "SSH host.") var host = "127.0.0.1"
    @Option(help: "SSH port.") var port = 22
    @Option(help: "SSH user.") var user: String
    @Option(help: "Private key file (OpenSSH format).") var key: String
    @Option(help: "Megabytes of test data to create on the host (half random, half text).") var megabytes = 512
    @Option(help: "Local directory for the archives.") var output = NSTemporaryDirectory()
    @Option(help: "Runs of each tool (the best is kept).") var runs = 3
    @Option(help: "gzip | zstd | none: what the remote tar compresses with (both tools).") var compression = "gzip"
    @Option(help: "Cipher both tools use, e.g. aes128-ctr (default: each tool's own choice).") var cipher: String?
    @Option(help: "MAC both tools use, e.g. hmac-sha2-256 (default: each tool's own choice).") var mac: String?

    func validate() throws {
        guard Compression(rawValue: compression) != nil else { throw ValidationError("--compression must be gzip, zstd or none") }
        guard (cipher == nil) == (mac == nil) else { throw ValidationError("give --cipher and --mac together") }
    }

    func run() async throws {
        let logger = BenchRedis.logger()
        let pem = try String(contentsOfFile: key, encoding: .utf8)
        let session = try await SSHSession.connect(SSHConfiguration(
            host: host, port: port, username: user, authentication: .privateKey(pem: pem), hostKey: .trustOnFirstUse,
            algorithms: cipher.map { SSHAlgorithms(ciphers: $0, macs: mac ?? "") }), logger: logger)
        let compression = Compression(rawValue: compression) ?? .gzip
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let source = "\(home)/medicineman-bench-data"
        let half = megabytes / 2
        _ = try await session.run(
            "mkdir -p \(ShellArgument.quote(source)) && head -c \(half)M /dev/urandom > \(ShellArgument.quote(source + "/random")) && " +
            "seq 1 100000000 | head -c \(half)M > \(ShellArgument.quote(source + "/text"))", timeout: .seconds(600))

        var ours = 0.0
        var size: Int64 = 0
        for _ in 0..<runs {
            let request = BackupRequest(id: UUID(), serverId: UUID(), paths: [source], compression: compression)
            let started = ContinuousClock.now
            let outcome = try await BackupRunner(storage: BackupStorage(root: output), logger: logger).run(request, on: session) { _ in }
            ours = max(ours, Double(megabytes) / Self.seconds(ContinuousClock.now - started))
            size = outcome.size
            try? FileManager.default.removeItem(atPath: outcome.localPath)
        }

        var reference = 0.0
        let copy = output + "/bench-key"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: key, toPath: copy)
        chmod(copy, 0o600)
        for _ in 0..<runs {
            let archive = output + "/reference.tar"
            let tarFlags = ["gzip": "czf", "zstd": "--zstd -cf", "none": "cf"][compression.rawValue] ?? "czf"
            let algorithms = cipher.map { "-c \(ShellArgument.quote($0)) -m \(ShellArgument.quote(mac ?? "")) " } ?? ""
            let started = ContinuousClock.now
            let status = try Self.shell("ssh -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \(algorithms)-i \(ShellArgument.quote(copy)) -p \(port) " +
                                        "\(ShellArgument.quote(user + "@" + host)) \(ShellArgument.quote("tar \(tarFlags) - " + source)) > \(ShellArgument.quote(archive)) 2>/dev/null")
            guard status == 0 else { throw ValidationError("ssh reference run failed (exit \(status))") }
            reference = max(reference, Double(megabytes) / Self.seconds(ContinuousClock.now - started))
            try? FileManager.default.removeItem(atPath: archive)
        }

        let scanStart = ContinuousClock.now
        _ = try await ScanRunner().run(.full, on: session) { _ in }
        let scanSeconds = Self.seconds(ContinuousClock.now - scanStart)
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(source))")
        await session.close()
        print(String(format: "backup of %d MB (archive %.1f MB): ours %.1f MB/s, ssh+tar %.1f MB/s (%.0f%%); full scan %.2f s",
                     megabytes, Double(size) / 1_048_576, ours, reference, 100 * ours / reference, scanSeconds))
        print(String(format: #"{"megabytes":%d,"ours_mb_per_sec":%.1f,"ssh_tar_mb_per_sec":%.1f,"ratio":%.2f,"full_scan_seconds":%.2f}"#,
                     megabytes, ours, reference, ours / reference, scanSeconds))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func shell(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

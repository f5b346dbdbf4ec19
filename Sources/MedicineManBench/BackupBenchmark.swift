import ArgumentParser
import BlockingIO
import Crypto
import Foundation
import Logging
import Records
import SSHClient
import ServerJobs

/// Backup throughput over SSH against the OpenSSH client doing the same work in the same run:
/// `ssh host 'tar czf - DIR' > file`.
struct BackupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Stream tar czf of a remote directory with our backup runner (to a directory or an S3 store) and with ssh; compare MB/s. Also times a full scan.")

    @OptionGroup var target: SSHTargetOptions
    @Option(help: "Megabytes of test data to create on the host (half random, half text).") var megabytes = 512
    @Option(help: "Local directory for the archives.") var output = NSTemporaryDirectory()
    @Option(help: "Runs of each tool (the best is kept).") var runs = 3
    @Option(help: "Where our runner stores archives: dir (--output) or s3 (the --s3-* options; the bucket is created if missing).")
    var storage = "dir"
    @Option(help: "S3 endpoint, e.g. http://127.0.0.1:7350.") var s3Endpoint: String?
    @Option(help: "S3 bucket.") var s3Bucket = "medicineman-bench"
    @Option(help: "S3 region.") var s3Region = "us-east-1"
    @Option(help: "S3 access key id (default $S3_ACCESS_KEY_ID).") var s3AccessKeyId: String?
    @Option(help: "Multipart part size in MiB.") var s3PartMegabytes = 8
    @Option(help: "Parts uploaded at once.") var s3PartsInFlight = 2
    @Option(help: "gzip | zstd | none: what the remote tar compresses with (both tools).") var compression = "gzip"
    @Option(help: "Cipher both tools use, e.g. aes128-ctr (default: each tool's own choice).") var cipher: String?
    @Option(help: "MAC both tools use, e.g. hmac-sha2-256 (default: each tool's own choice).") var mac: String?
    @Flag(help: "Seal our archives as they stream (AES-256-GCM, a fresh data key per archive), as ENCRYPT_BACKUPS does.") var encrypt = false

    func validate() throws {
        guard ["dir", "s3"].contains(storage) else { throw ValidationError("--storage must be dir or s3") }
        guard Compression(rawValue: compression) != nil else { throw ValidationError("--compression must be gzip, zstd or none") }
        guard (cipher == nil) == (mac == nil) else { throw ValidationError("give --cipher and --mac together") }
    }

    func run() async throws {
        let logger = BenchRedis.logger()
        let session = try await target.connect(algorithms: cipher.map { SSHAlgorithms(ciphers: $0, macs: mac ?? "") }, logger: logger)
        let codec = Compression(rawValue: self.compression) ?? .gzip
        let home = try await session.run("printf %s \"$HOME\"").stdout
        let source = "\(home)/medicineman-bench-data"
        let half = megabytes / 2
        _ = try await session.run(
            "mkdir -p \(ShellArgument.quote(source)) && head -c \(half)M /dev/urandom > \(ShellArgument.quote(source + "/random")) && "
                + "seq 1 100000000 | head -c \(half)M > \(ShellArgument.quote(source + "/text"))", timeout: .seconds(600))

        let archives = try await archiveStorage()
        var ours = 0.0
        var size: Int64 = 0
        for _ in 0..<runs {
            let request = BackupRequest(
                id: UUID(), serverId: UUID(), paths: [source], compression: codec,
                dataKey: encrypt ? SymmetricKey(size: .bits256) : nil)
            let started = ContinuousClock.now
            let outcome = try await BackupRunner(storage: archives, logger: logger).run(request, on: session) { _ in }
            ours = max(ours, Double(megabytes) / Self.seconds(ContinuousClock.now - started))
            size = outcome.size
            if let key = outcome.objectKey { try await archives.objectStore?.delete(key) } else { try? FileManager.default.removeItem(atPath: outcome.localPath) }
        }

        var reference = 0.0
        let copy = output + "/bench-key"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: target.key, toPath: copy)
        chmod(copy, 0o600)
        for _ in 0..<runs {
            let archive = output + "/reference.tar"
            let tarFlags = ["gzip": "czf", "zstd": "--zstd -cf", "none": "cf"][codec.rawValue] ?? "czf"
            let algorithms = cipher.map { "-c \(ShellArgument.quote($0)) -m \(ShellArgument.quote(mac ?? "")) " } ?? ""
            let started = ContinuousClock.now
            let status = try Self.shell(
                "ssh -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \(algorithms)-i \(ShellArgument.quote(copy)) -p \(target.port) "
                    + "\(ShellArgument.quote(target.user + "@" + target.host)) \(ShellArgument.quote("tar \(tarFlags) - " + source)) > \(ShellArgument.quote(archive)) 2>/dev/null")
            guard status == 0 else { throw ValidationError("ssh reference run failed (exit \(status))") }
            reference = max(reference, Double(megabytes) / Self.seconds(ContinuousClock.now - started))
            try? FileManager.default.removeItem(atPath: archive)
        }

        let scanStart = ContinuousClock.now
        _ = try await ScanRunner().run(.full, on: session) { _ in }
        let scanSeconds = Self.seconds(ContinuousClock.now - scanStart)
        _ = try await session.run("rm -rf -- \(ShellArgument.quote(source))")
        await session.close()
        print(
            String(
                format: "backup of %d MB (archive %.1f MB): ours %.1f MB/s, ssh+tar %.1f MB/s (%.0f%%); full scan %.2f s",
                megabytes, Double(size) / 1_048_576, ours, reference, 100 * ours / reference, scanSeconds))
        print(
            String(
                format: #"{"megabytes":%d,"ours_mb_per_sec":%.1f,"ssh_tar_mb_per_sec":%.1f,"ratio":%.2f,"full_scan_seconds":%.2f}"#,
                megabytes, ours, reference, ours / reference, scanSeconds))
    }

    /// The directory, or the object store named by the `--s3-*` options (secret from
    /// `S3_SECRET_ACCESS_KEY`, never an option: it would show in `ps`).
    func archiveStorage() async throws -> BackupStorage {
        switch storage {
        case "dir": return BackupStorage(root: output)
        case "s3":
            let environment = ProcessInfo.processInfo.environment
            guard let endpoint = s3Endpoint, let keyId = s3AccessKeyId ?? environment["S3_ACCESS_KEY_ID"],
                let secret = environment["S3_SECRET_ACCESS_KEY"]
            else {
                throw ValidationError("--storage s3 needs --s3-endpoint, --s3-access-key-id (or S3_ACCESS_KEY_ID) and S3_SECRET_ACCESS_KEY")
            }
            let store = ObjectStore(
                settings: try ObjectStoreSettings(
                    endpoint: endpoint, bucket: s3Bucket, region: s3Region, accessKeyId: keyId,
                    secretAccessKey: secret, prefix: "medicineman-bench/",
                    partSize: s3PartMegabytes << 20, partsInFlight: s3PartsInFlight))
            try await store.createBucket()
            return BackupStorage(root: output, objectStore: store)
        default: throw ValidationError("--storage is dir or s3")
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        duration.inSeconds
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

import ArchiveFormat
import ArgumentParser
import BlockingIO
import Foundation
import Records
import ServerJobs

/// What `GET /api/backups/:id/files` does for a backup of many files: read the manifest stored
/// beside the archive, compose the tree, list a page; timed over several runs.
struct ManifestListingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest-listing",
        abstract: "Write a tar of --files small files, verify it (which stores its manifest), then time reading the manifest, composing the tree and listing a page.")

    @Option(help: "Files in the archive.") var files = 100_000
    @Option(help: "Entries per page.") var limit = 100
    @Option(help: "Timed runs (the median and the slowest are printed).") var runs = 20
    @Option(help: "Scratch directory.") var output = NSTemporaryDirectory()

    func run() async throws {
        let root = output + "/manifest-bench-" + UUID().lowercasedString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = BackupStorage(root: root)
        let request = BackupRequest(id: UUID(), serverId: UUID(), paths: ["/srv"], compression: .none)
        let location = try storage.location(for: request)
        let relative = location.relative
        try FileManager.default.createDirectory(atPath: (location.absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // 100 directories of files/100 files each, a line of text apiece, written by Python's tarfile.
        let script = """
            import sys, tarfile, io
            path, count = sys.argv[1], int(sys.argv[2])
            with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
                for i in range(count):
                    data = ("file %d\\n" % i).encode()
                    info = tarfile.TarInfo("srv/data/d%03d/f%06d.txt" % (i % 100, i)); info.size = len(data); info.mtime = 1700000000
                    t.addfile(info, io.BytesIO(data))
            """
        let process = try Process.run(URL(fileURLWithPath: "/usr/bin/python3"), arguments: ["-c", script, location.absolute, String(files)])
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("python3 could not write the archive") }
        let sha256 = try ArchiveVerifier.sha256(of: location.absolute)
        let backup = Backup(
            id: request.id, serverId: request.serverId, kind: .manual, status: .completed, paths: ["/srv"], compression: .none,
            filePath: relative, sha256: sha256)
        let check = await ArchiveVerifier.verify(backup, in: storage)
        guard check.verified else { throw ValidationError("verification failed: \(check.reason ?? "")") }
        var timings: [Double] = []
        var listed = 0
        for _ in 0..<runs {
            let started = ContinuousClock.now
            guard let manifest = try await storage.manifest(of: backup, dataKey: nil) else { throw ValidationError("no manifest was stored") }
            let tree = BackupTree(chain: [manifest])
            listed = tree.listing(prefix: "srv/data/d050/", limit: limit).count
            timings.append((ContinuousClock.now - started).inMilliseconds)
        }
        timings.sort()
        let median = timings[timings.count / 2]
        print(
            String(
                format: "%d files: manifest read + tree + page of %d in %.1f ms (median of %d), %.1f ms slowest",
                files, listed, median, runs, timings.last ?? 0))
        print(String(format: #"{"files":%d,"listed":%d,"median_ms":%.1f,"max_ms":%.1f}"#, files, listed, median, timings.last ?? 0))
    }
}

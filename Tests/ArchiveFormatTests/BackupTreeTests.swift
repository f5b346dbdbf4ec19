import ArchiveFormat
import Crypto
import Foundation
import Testing

/// Composing a chain's manifests into the tree a restore leaves, against GNU tar's own
/// incremental archives, and streaming one member out of a tar.
@Suite struct BackupTreeTests {
    static func manifest(of tar: [UInt8]) throws -> ArchiveManifest {
        var reader = TarStreamReader()
        var manifest = ArchiveManifest()
        try tar.withUnsafeBytes { try reader.consume($0) { manifest.append($0) } }
        try reader.finish()
        return try ArchiveManifest(decoding: try manifest.encoded())  // what is stored is what is read back
    }

    /// Every path under `root/src` as tar names it (`src/...`), with its kind.
    static func tree(_ root: String) -> [String: TarEntry.Kind] {
        var paths: [String: TarEntry.Kind] = ["src": .directory]
        guard let walker = FileManager.default.enumerator(atPath: root + "/src") else { return paths }
        while let path = walker.nextObject() as? String {
            paths["src/" + path] = walker.fileAttributes?[.type] as? FileAttributeType == .typeDirectory ? .directory : .file
        }
        return paths
    }

    static func shell(_ command: String, in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(command)")
    }

    @Test func aChainComposesToTheTreeAfterAddChangeAndDelete() throws {
        let root = NSTemporaryDirectory() + "mm-chain-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.shell("mkdir -p src/keep src/gone && echo one > src/keep/a && echo two > src/gone/b && echo three > src/changed", in: root)
        var manifests = [try Self.manifest(of: try TarManifestTests.tar(["--create", "--listed-incremental=snap", "--file=-", "src"], in: root))]
        #expect(BackupTree(chain: manifests).entries.map(\.path) == ["src", "src/changed", "src/gone", "src/gone/b", "src/keep", "src/keep/a"])
        let steps = ["echo added > src/keep/new", "sleep 1; echo changed-now > src/changed", "rm -rf src/gone && rm src/keep/a && mkdir src/fresh && echo x > src/fresh/y"]
        for step in steps {
            try Self.shell(step, in: root)
            manifests.append(try Self.manifest(of: try TarManifestTests.tar(["--create", "--listed-incremental=snap", "--file=-", "src"], in: root)))
            let composed = BackupTree(chain: manifests)
            #expect(Dictionary(uniqueKeysWithValues: composed.entries.map { ($0.path, $0.kind) }) == Self.tree(root), "after \(step)")
        }
        let composed = BackupTree(chain: manifests)
        #expect(composed.source(of: "src/keep/new") == 1, "added by the first incremental and unchanged since")
        #expect(composed.source(of: "src/changed") == 2 && composed.entry(at: "src/changed")?.size == 12)
        #expect(composed.source(of: "src/fresh/y") == 3 && composed.entry(at: "src/gone/b") == nil && composed.entry(at: "src/keep/a") == nil)
        let changes = ManifestDiff(old: BackupTree(chain: Array(manifests.prefix(1))).manifest, new: composed.manifest)
        #expect(changes.added.map(\.path) == ["src/fresh", "src/fresh/y", "src/keep/new"])
        #expect(changes.removed.map(\.path) == ["src/gone", "src/gone/b", "src/keep/a"])
        #expect(changes.changed.map(\.path).contains("src/changed"))
    }

    @Test func oneArchiveComposesInPathOrderKeepingTheLastOfAPath() {
        func entry(_ path: String, size: Int64) -> TarEntry { TarEntry(path: path, kind: .file, mode: 0o644, size: size, mtime: 0) }
        let manifest = ArchiveManifest(entries: [entry("b", size: 1), entry("a/z", size: 2), entry("b", size: 3), entry("a", size: 4), entry("b", size: 5)])
        let tree = BackupTree(chain: [manifest])
        #expect(tree.entries.map(\.path) == ["a", "a/z", "b"])
        #expect(tree.entry(at: "b")?.size == 5 && tree.source(of: "b") == 0 && tree.source(of: "c") == nil)
        #expect(BackupTree(chain: [ArchiveManifest(entries: tree.entries)]).entries == tree.entries, "sorted input stays as it is")
    }

    @Test func manifestsKeepDumpDirectoryNames() throws {
        let plain = try ArchiveManifest(entries: [TarEntry(path: "src/a", kind: .file, mode: 0o644, size: 3, mtime: 1)]).encoded()
        #expect(try ArchiveManifest(decoding: plain).entries.first?.children == nil)
        let withChildren = ArchiveManifest(entries: [
            TarEntry(path: "src", kind: .directory, mode: 0o755, size: 0, mtime: 1, children: ["a", "tab\there"]),
            TarEntry(path: "empty", kind: .directory, mode: 0o755, size: 0, mtime: 1, children: []),
        ])
        #expect(try ArchiveManifest(decoding: try withChildren.encoded()) == withChildren)
        // Unknown names remove nothing; a later archive without the file's directory removes it.
        let full = ArchiveManifest(entries: [
            TarEntry(path: "src", kind: .directory, mode: 0o755, size: 0, mtime: 1),
            TarEntry(path: "src/a", kind: .file, mode: 0o644, size: 3, mtime: 1),
        ])
        let unknown = ArchiveManifest(entries: [TarEntry(path: "src", kind: .directory, mode: 0o755, size: 0, mtime: 2)])
        #expect(BackupTree(chain: [full, unknown]).entry(at: "src/a") != nil)
        let known = ArchiveManifest(entries: [TarEntry(path: "src", kind: .directory, mode: 0o755, size: 0, mtime: 2, children: [])])
        #expect(BackupTree(chain: [full, known]).entry(at: "src/a") == nil)
    }

    @Test func listingPagesInPathOrderUnderAPrefix() {
        let entries =
            (0..<25).map { TarEntry(path: String(format: "root/d%02d", $0), kind: .file, mode: 0o644, size: 1, mtime: 1) }
            + [TarEntry(path: "root", kind: .directory, mode: 0o755, size: 0, mtime: 1), TarEntry(path: "other/x", kind: .file, mode: 0o644, size: 1, mtime: 1)]
        let tree = BackupTree(chain: [ArchiveManifest(entries: entries.reversed())])
        let first = tree.listing(prefix: "root/", limit: 10)
        #expect(first.map(\.path) == (0..<10).map { String(format: "root/d%02d", $0) })
        let second = tree.listing(prefix: "root/", after: first.last?.path, limit: 10)
        #expect(second.first?.path == "root/d10" && second.count == 10)
        #expect(tree.listing(prefix: "root/", after: "root/d24", limit: 10).isEmpty)
        #expect(tree.listing(prefix: "", limit: 1000).count == 27)
        #expect(tree.listing(prefix: "nothing", limit: 10).isEmpty)
    }

    @Test func theExtractorStreamsOneMemberAndChecksItsHash() throws {
        let (root, files) = try TarManifestTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tar = try TarManifestTests.tar(["--create", "--format=posix", "--file=-", "tree"], in: root)
        let wanted = "tree/big"
        let digest = SHA256.hash(data: try #require(files[wanted])).map { String(format: "%02x", $0) }.joined()
        var extractor = TarMemberExtractor(path: wanted, expectedSHA256: digest)
        var out: [UInt8] = []
        // Small pieces: headers and content split across calls.
        for start in stride(from: 0, to: tar.count, by: 700) {
            try tar[start..<min(start + 700, tar.count)].withUnsafeBytes { chunk in try extractor.consume(chunk) { out.append(contentsOf: $0) } }
        }
        try extractor.finish()
        #expect(out == files[wanted])
        var wrong = TarMemberExtractor(path: wanted, expectedSHA256: String(repeating: "0", count: 64))
        #expect(throws: ArchiveFormatError.self) { try tar.withUnsafeBytes { chunk in try wrong.consume(chunk) { _ in } } }
        var missing = TarMemberExtractor(path: "tree/none", expectedSHA256: nil)
        try tar.withUnsafeBytes { chunk in try missing.consume(chunk) { _ in } }
        #expect(throws: ArchiveFormatError.self) { try missing.finish() }
    }
}

import ArchiveFormat
import Crypto
import Foundation
import Testing

/// The manifest reader against archives GNU tar writes, in each of its formats.
@Suite struct TarManifestTests {
    /// A tree with the awkward cases: long names, a tab and a newline in names, links, empty and
    /// block-sized files.
    static func makeTree() throws -> (root: String, files: [String: [UInt8]]) {
        let root = NSTemporaryDirectory() + "mm-tar-\(UUID().uuidString)"
        let longDirectory = String(repeating: "d", count: 120)
        try FileManager.default.createDirectory(atPath: root + "/tree/" + longDirectory, withIntermediateDirectories: true)
        var files: [String: [UInt8]] = [
            "tree/empty": [],
            "tree/block": Array(repeating: 7, count: 512),
            "tree/odd": Array((0..<1500).map { UInt8($0 % 251) }),
            "tree/" + longDirectory + "/" + String(repeating: "f", count: 90): Array("long\n".utf8),
            "tree/tab\tand\nnewline": Array("weird".utf8),
        ]
        files["tree/big"] = Array((0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 31) })
        for (path, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path)) }
        try FileManager.default.createSymbolicLink(atPath: root + "/tree/link", withDestinationPath: "odd")
        try FileManager.default.linkItem(atPath: root + "/tree/odd", toPath: root + "/tree/hard")
        return (root, files)
    }

    static func tar(_ arguments: [String], in directory: String) throws -> [UInt8] {
        try run("tar", arguments, in: directory)
    }

    /// Runs `tool` in `directory`; its standard output.
    static func run(_ tool: String, _ arguments: [String], in directory: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return Array(data)
    }

    static func read(_ archive: [UInt8], piece: Int = 333) throws -> ArchiveManifest {
        var reader = TarStreamReader()
        var manifest = ArchiveManifest()
        var offset = 0
        while offset < archive.count {
            let end = min(offset + piece, archive.count)
            try archive[offset..<end].withUnsafeBytes { try reader.consume($0) { manifest.append($0) } }
            offset = end
        }
        try reader.finish()
        return manifest
    }

    static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: ["gnu", "posix", "ustar-free"])
    func readsEveryMemberWithItsHash(format: String) throws {
        let (root, files) = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let formatArguments = format == "ustar-free" ? [] : ["--format=\(format)"]
        let archive = try Self.tar(["-cf", "-"] + formatArguments + ["tree"], in: root)
        let manifest = try Self.read(archive)
        let byPath = manifest.byPath
        for (path, bytes) in files {
            let entry = try #require(byPath[path], "\(path) missing from the \(format) manifest")
            #expect(entry.kind == .file)
            #expect(entry.size == Int64(bytes.count))
            #expect(entry.sha256 == Self.hex(bytes))
        }
        #expect(byPath["tree/link"]?.kind == .symlink)
        #expect(byPath["tree/link"]?.linkTarget == "odd")
        #expect([TarEntry.Kind.hardlink, .file].contains(byPath["tree/hard"]?.kind ?? .other))
        #expect(byPath["tree"]?.kind == .directory)
        let mtime = try #require(try FileManager.default.attributesOfItem(atPath: root + "/tree/odd")[.modificationDate] as? Date)
        #expect(byPath["tree/odd"]?.mtime == Int64(mtime.timeIntervalSince1970))
    }

    @Test func manifestEncodingRoundTripsAndLists() throws {
        let (root, _) = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let manifest = try Self.read(try Self.tar(["-cf", "-", "tree"], in: root))
        let decoded = try ArchiveManifest(decoding: try manifest.encoded())
        #expect(decoded == manifest)
        let listed = decoded.listing(prefix: "tree/b", limit: 10).map(\.path)
        #expect(listed == ["tree/big", "tree/block"])
        #expect(decoded.listing(prefix: "tree/", after: "tree/big", limit: 1).map(\.path) == ["tree/block"])
    }

    @Test func incrementalArchivesReadWithTheirDumpDirectories() throws {
        let (root, _) = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let snapshot = root + "/snapshot"
        _ = try Self.tar(["--listed-incremental=\(snapshot)", "-cf", "-", "tree"], in: root)
        try Data("new".utf8).write(to: URL(fileURLWithPath: root + "/tree/added"))
        let incremental = try Self.read(try Self.tar(["--listed-incremental=\(snapshot)", "-cf", "-", "tree"], in: root))
        let files = incremental.entries.filter { $0.kind == .file }.map(\.path)
        #expect(files == ["tree/added"])
        #expect(incremental.byPath["tree"]?.kind == .directory)
    }

    /// GNU tar records a directory renamed between two levels in the parent's dump directory
    /// (`R` old name, `T` new name); the manifest keeps them, and format 2 manifests say they do not.
    @Test func renameRecordsAreReadAndKept() throws {
        let root = NSTemporaryDirectory() + "mm-tar-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/tree/a", withIntermediateDirectories: true)
        try Data("hi".utf8).write(to: URL(fileURLWithPath: root + "/tree/a/f"))
        _ = try Self.tar(["--listed-incremental=snap", "-cf", "-", "tree"], in: root)
        try FileManager.default.moveItem(atPath: root + "/tree/a", toPath: root + "/tree/b")
        let manifest = try Self.read(try Self.tar(["--listed-incremental=snap", "-cf", "-", "tree"], in: root))
        let parent = try #require(manifest.entries.first { $0.path == "tree" })
        #expect(parent.renames == ["Rtree/a", "Ttree/b"] && parent.children == ["b"])
        let decoded = try ArchiveManifest(decoding: try manifest.encoded())
        #expect(decoded == manifest && decoded.recordsRenames)
        // A manifest written before renames were kept reads, and says it does not know them.
        try Data("mm-manifest 2\ndirectory\t755\t0\t0\t-\ttree\t\t/b\n".utf8).write(to: URL(fileURLWithPath: root + "/older"))
        let legacy = try ArchiveManifest(decoding: try Self.run("gzip", ["-c", "older"], in: root))
        #expect(!legacy.recordsRenames && legacy.entries.first?.children == ["b"])
    }

    /// A dump directory's data costs memory name by name: a small compressed archive of many
    /// `Y` records must not grow the manifest without bound.
    @Test func dumpDirectoriesFullOfNamesAreBounded() throws {
        func archive(directories: Int, names: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            for index in 0..<directories {
                let data = Array((0..<names).map { "Yn\($0)\u{0}" }.joined().utf8) + [0]
                bytes += Self.header(name: "d\(index)/", type: "D", size: data.count) + data
                bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
            }
            return bytes + [UInt8](repeating: 0, count: 1024)
        }
        func read(_ bytes: [UInt8], _ reader: TarStreamReader) throws {
            var reader = reader
            try bytes.withUnsafeBytes { try reader.consume($0) { _ in } }
            try reader.finish()
        }
        try read(archive(directories: 3, names: 100), TarStreamReader(nameLimit: 300))
        #expect(throws: ArchiveFormatError.self) { try read(archive(directories: 4, names: 100), TarStreamReader(nameLimit: 300)) }
        #expect(throws: ArchiveFormatError.self) { try read(archive(directories: 4, names: 100), TarStreamReader(dumpDirectoryByteLimit: 1500)) }
        // Past the renames a manifest keeps, they are unknown (the backup verifies; its chain does not restore).
        let data = Array(String(repeating: "Rd\u{0}Te\u{0}", count: TarStreamReader.maxRenames / 2 + 1).utf8) + [0]
        let renames = Self.header(name: "d/", type: "D", size: data.count) + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        var reader = TarStreamReader()
        var manifest = ArchiveManifest()
        try (renames + [UInt8](repeating: 0, count: 1024)).withUnsafeBytes { try reader.consume($0) { manifest.append($0) } }
        #expect(manifest.entries.first?.renames == [TarStreamReader.unknownRenames])
    }

    /// Member types GNU tar reads in ways this reader does not (a global header applies to every
    /// later member, a volume label makes nothing) refuse the archive, as does a name too long to make.
    @Test func membersNotReadAsTarReadsThemAreRefused() throws {
        func archive(_ members: [[UInt8]]) -> [UInt8] { members.joined() + [UInt8](repeating: 0, count: 1024) }
        func read(_ bytes: [UInt8]) throws {
            var reader = TarStreamReader()
            try bytes.withUnsafeBytes { try reader.consume($0) { _ in } }
            try reader.finish()
        }
        try read(archive([Self.header(name: "plain/", type: "5", size: 0)]))
        for type in ["g", "X", "V", "M", "N", "S"] as [Character] {
            let data = Array("19 path=evil/x/y/z\n".utf8)
            let member = Self.header(name: "evil", type: type, size: data.count) + data + [UInt8](repeating: 0, count: 512 - data.count)
            #expect(throws: ArchiveFormatError.self, "\(type)") { try read(archive([member])) }
        }
        // Where a member's data ends must not be in doubt: a size tar reads otherwise, or data on
        // a member that carries none, refuses the archive.
        var leadingNUL = Self.header(name: "f", type: "0", size: 0)
        leadingNUL[124] = 0
        let sum = leadingNUL.enumerated().reduce(0) { $0 + Int((148..<156).contains($1.offset) ? 32 : $1.element) }
        for (index, byte) in (String(format: "%06o", sum) + "\u{0} ").utf8.enumerated() { leadingNUL[148 + index] = byte }
        #expect(throws: ArchiveFormatError.self) { try read(archive([leadingNUL])) }
        for type in ["1", "2", "3", "4", "5", "6"] as [Character] {
            #expect(throws: ArchiveFormatError.self, "\(type)") { try read(archive([Self.header(name: "x", type: type, size: 512) + [UInt8](repeating: 0, count: 512)])) }
        }
        for record in ["15 size=+512\n", "25 GNU.sparse.name=evil\n", "13 pa\u{0}th=x\n"] {
            let data = Array(record.utf8)
            let member = Self.header(name: "pax", type: "x", size: data.count) + data + [UInt8](repeating: 0, count: 512 - data.count)
            #expect(throws: ArchiveFormatError.self, "\(record.debugDescription)") { try read(archive([member, Self.header(name: "f", type: "0", size: 0)])) }
        }
    }

    /// A name longer than tar could make is cut in the file list and marked: the backup still
    /// verifies (a user on the server cannot fail every backup with one deep path), but its chain
    /// does not restore.
    @Test func aNameTooLongIsCutAndItsChainIsNotRestored() throws {
        let name = [UInt8](repeating: UInt8(ascii: "a"), count: 4096) + [0]
        let longName = Self.header(name: "././@LongLink", type: "L", size: name.count) + name + [UInt8](repeating: 0, count: (512 - name.count % 512) % 512)
        var reader = TarStreamReader()
        var manifest = ArchiveManifest()
        try (longName + Self.header(name: "x", type: "0", size: 0) + [UInt8](repeating: 0, count: 1024)).withUnsafeBytes { try reader.consume($0) { manifest.append($0) } }
        try reader.finish()
        #expect(manifest.entries.first?.path.utf8.count == 4095 && manifest.entries.first?.renames == [TarStreamReader.unknownRenames])
        #expect(BackupTree.symlinkTraversal(in: [manifest]) == nil, "one archive alone restores")
        #expect(BackupTree.symlinkTraversal(in: [ArchiveManifest(), manifest]) == SymlinkTraversal(archive: 1, path: "", symlink: "", linkTarget: ""))
    }

    /// A POSIX-format incremental keeps each dump directory in a `GNU.dumpdir` pax record of a plain
    /// directory: its names and renames are read as from a `D` member.
    @Test func posixIncrementalsKeepTheirDumpDirectories() throws {
        let root = NSTemporaryDirectory() + "mm-tar-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/tree/a", withIntermediateDirectories: true)
        try Data("hi".utf8).write(to: URL(fileURLWithPath: root + "/tree/a/f"))
        _ = try Self.tar(["--format=posix", "--listed-incremental=snap", "-cf", "-", "tree"], in: root)
        try FileManager.default.moveItem(atPath: root + "/tree/a", toPath: root + "/tree/b")
        let manifest = try Self.read(try Self.tar(["--format=posix", "--listed-incremental=snap", "-cf", "-", "tree"], in: root))
        let parent = try #require(manifest.entries.first { $0.path == "tree" })
        #expect(parent.renames == ["Rtree/a", "Ttree/b"] && parent.children == ["b"])
    }

    /// A ustar header block with a valid checksum.
    static func header(name: String, type: Character, size: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte } }
        put(name, at: 0)
        put("0000755", at: 100)
        put(String(format: "%011o", size), at: 124)
        put("00000000000", at: 136)
        put(String(type), at: 156)
        put("ustar  ", at: 257)
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        put(String(format: "%06o", block.reduce(0) { $0 + Int($1) }) + "\u{0} ", at: 148)
        return block
    }

    @Test func diffNamesAddedRemovedAndChanged() {
        let old = ArchiveManifest(entries: [
            TarEntry(path: "a", kind: .file, mode: 0o644, size: 1, mtime: 1, sha256: "11"),
            TarEntry(path: "b", kind: .file, mode: 0o644, size: 1, mtime: 1, sha256: "22"),
            TarEntry(path: "c", kind: .file, mode: 0o644, size: 1, mtime: 1, sha256: "33"),
        ])
        let new = ArchiveManifest(entries: [
            TarEntry(path: "a", kind: .file, mode: 0o644, size: 1, mtime: 9, sha256: "11"),
            TarEntry(path: "b", kind: .file, mode: 0o644, size: 1, mtime: 1, sha256: "99"),
            TarEntry(path: "d", kind: .file, mode: 0o644, size: 1, mtime: 1, sha256: "44"),
        ])
        let diff = ManifestDiff(old: old, new: new)
        #expect(diff.added.map(\.path) == ["d"])
        #expect(diff.removed.map(\.path) == ["c"])
        #expect(diff.changed.map(\.path) == ["b"])
    }
}

/// Tar streams an attacker could store or send: the reader refuses them instead of inventing entries.
@Suite struct AttackTarManifestTests {
    @Test func corruptHeaderChecksumIsRefused() throws {
        let (root, _) = try TarManifestTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var archive = try TarManifestTests.tar(["-cf", "-", "tree"], in: root)
        archive[10] ^= 0x20
        #expect(throws: ArchiveFormatError.self) { _ = try TarManifestTests.read(archive) }
    }

    @Test func truncatedStreamIsRefused() throws {
        let (root, _) = try TarManifestTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let archive = try TarManifestTests.tar(["-cf", "-", "tree"], in: root)
        #expect(throws: ArchiveFormatError.self) { _ = try TarManifestTests.read(Array(archive.prefix(5000))) }
        #expect(throws: ArchiveFormatError.self) { _ = try TarManifestTests.read([]) }
    }

    @Test func hugeExtendedHeaderIsRefused() throws {
        var block = [UInt8](repeating: 0, count: 512)
        for (index, byte) in "././@LongLink".utf8.enumerated() { block[index] = byte }
        for (index, byte) in "0000644\0".utf8.enumerated() { block[100 + index] = byte }
        for (index, byte) in "77777777777\0".utf8.enumerated() { block[124 + index] = byte }  // 8 GiB long name
        block[156] = UInt8(ascii: "L")
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        for (index, byte) in (String(sum, radix: 8).leftPadded(to: 6) + "\0 ").utf8.enumerated() { block[148 + index] = byte }
        #expect { _ = try TarManifestTests.read(block + [UInt8](repeating: 0, count: 4096)) } throws: {
            ($0 as? ArchiveFormatError)?.kind == .malformedTar
        }
    }

    @Test func garbageManifestIsRefused() {
        #expect(throws: ArchiveFormatError.self) { _ = try ArchiveManifest(decoding: Array("not gzip".utf8)) }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

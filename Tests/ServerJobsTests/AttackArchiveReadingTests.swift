import ArchiveFormat
import Foundation
import Records
@testable import ServerJobs
import TestSupport
import Testing

/// Archives a compromised server could send, read back the way verification reads them.
@Suite struct AttackArchiveReadingTests {
    static func shell(_ command: String) async throws -> [UInt8] {
        let file = NSTemporaryDirectory() + TestEnvironment.uniqueName("mm-archive")
        _ = try await ChildProcess.run("/bin/sh", ["-c", "\(command) > \(file)"], timeout: .seconds(120))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: file)))
    }

    static func inspect(_ bytes: [UInt8], _ compression: Compression) throws -> (sha256: String, manifest: Result<ArchiveManifest, any Error>) {
        var offset = 0
        return try ArchiveVerifier.inspect(
            reading: {
                guard offset < bytes.count else { return nil }
                defer { offset = min(bytes.count, offset + 65_536) }
                return Array(bytes[offset..<min(bytes.count, offset + 65_536)])
            }, compression: compression, dataKey: nil)
    }

    @Test func zstdArchivesReadBackWithTheirManifest() async throws {
        let bytes = try await Self.shell("cd /usr/share && tar --zstd -cf - common-licenses")
        let manifest = try Self.inspect(bytes, .zstd).manifest.get()
        #expect(manifest.entries.contains { $0.path.hasPrefix("common-licenses/") && $0.sha256 != nil })
    }

    @Test func aZstdBombIsReadWithBoundedMemory() async throws {
        // 1 GiB of zeros in about 40 KB: the reader holds at most a few MiB of it at a time (run alone:
        // it measures the whole process).
        let bytes = try await Self.shell("head -c 1024M /dev/zero | zstd -q -19 -c")
        #expect(bytes.count < 1 << 20)
        let before = ProcessProbe.residentBytes()
        let manifest = try Self.inspect(bytes, .zstd).manifest.get()
        #expect(manifest.entries.isEmpty)
        #expect(ProcessProbe.residentBytes() - before < 256 << 20)
    }

    /// A tar stream with one pax header holding `records`, then a file.
    static func paxArchive(_ records: [UInt8]) -> [UInt8] {
        func header(_ name: String, type: UInt8, size: Int) -> [UInt8] {
            var block = [UInt8](repeating: 0, count: 512)
            for (index, byte) in name.utf8.prefix(99).enumerated() { block[index] = byte }
            for (index, byte) in "0000644\0".utf8.enumerated() { block[100 + index] = byte }
            let octal = String(size, radix: 8)
            for (index, byte) in (String(repeating: "0", count: 11 - octal.count) + octal + "\0").utf8.enumerated() { block[124 + index] = byte }
            for (index, byte) in "00000000000\0".utf8.enumerated() { block[136 + index] = byte }
            block[156] = type
            for (index, byte) in "ustar\0".utf8.enumerated() { block[257 + index] = byte }
            for index in 148..<156 { block[index] = 0x20 }
            let sum = String(block.reduce(0) { $0 + Int($1) }, radix: 8)
            for (index, byte) in (String(repeating: "0", count: 6 - sum.count) + sum + "\0 ").utf8.enumerated() { block[148 + index] = byte }
            return block
        }
        func padded(_ data: [UInt8]) -> [UInt8] { data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512) }
        return header("pax", type: UInt8(ascii: "x"), size: records.count) + padded(records)
            + header("file", type: UInt8(ascii: "0"), size: 3) + padded(Array("abc".utf8)) + [UInt8](repeating: 0, count: 1024)
    }

    @Test(arguments: [
        "1 ", "2 x", "3 ab\n", "99999999999999999999 path=x\n", "9223372036854775807 a=b\n", "16 mtime=nan\n", "18 mtime=1e300\n",
        "14 size=-5\n", "12 path=\u{0}\n",
    ])
    func craftedPaxRecordsNeverCrashTheReader(record: String) throws {
        let archive = Self.paxArchive(Array(record.utf8))
        // Either refused or read; the point is that the process survives.
        _ = try? Self.inspect(archive, .none).manifest.get()
    }

    /// A pax record GNU tar would read another way than a strict reading (blanks around the length,
    /// a missing newline, a NUL that cuts a name short) refuses the archive: the manifest must name
    /// what tar will make.
    @Test(arguments: [
        "13  path=evil\n", " 12 path=evil\n", "+12 path=evil\n", "12\tpath=evil\n", "12 path=evil!", "17 path=ok\u{0}/evil\n", "8 =evil\n",
    ])
    func paxRecordsTarWouldReadOtherwiseAreRefused(record: String) throws {
        #expect(throws: (any Error).self, "\(record.debugDescription)") { try Self.inspect(Self.paxArchive(Array(record.utf8)), .none).manifest.get() }
    }

    @Test func aWellFormedPaxPathNamesTheMember() throws {
        let manifest = try Self.inspect(Self.paxArchive(Array("20 path=src/renamed\n".utf8)), .none).manifest.get()
        #expect(manifest.entries.map(\.path) == ["src/renamed"])
    }
}

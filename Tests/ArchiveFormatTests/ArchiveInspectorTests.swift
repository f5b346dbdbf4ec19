import ArchiveFormat
import Crypto
import Foundation
import Testing

/// Stored archive → hash, decrypt, decompress, manifest: in one pass, as verification reads it.
@Suite struct ArchiveInspectorTests {
    static func inspect<D: StreamDecompressor>(_ stored: [UInt8], decompressor: D, key: SymmetricKey?) throws -> ArchiveInspection {
        var inspector = try ArchiveInspector(decompressor: decompressor, dataKey: key)
        var offset = 0
        while offset < stored.count {
            let end = min(offset + 65_536, stored.count)
            try stored[offset..<end].withUnsafeBytes { try inspector.consume($0) }
            offset = end
        }
        return try inspector.finish()
    }

    static func sha(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: [false, true])
    func sealedGzipArchiveYieldsTheSameManifestAsThePlainTar(sealed: Bool) throws {
        let (root, files) = try TarManifestTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let plainTar = try TarManifestTests.tar(["-cf", "-", "tree"], in: root)
        let expected = try TarManifestTests.read(plainTar)
        let gzipped = try TarManifestTests.tar(["-czf", "-", "tree"], in: root)
        let key = SymmetricKey(size: .bits256)
        let stored = sealed ? try SealedArchiveTests.seal(gzipped, key: key, chunkSize: 8192) : gzipped
        let inspection = try Self.inspect(stored, decompressor: try GzipDecompressor(), key: sealed ? key : nil)
        #expect(inspection.manifest == expected)
        #expect(inspection.sha256 == Self.sha(stored))
        #expect(inspection.storedBytes == Int64(stored.count))
        #expect(inspection.manifest.byPath["tree/big"]?.sha256 == TarManifestTests.hex(files["tree/big"] ?? []))
    }

    @Test func uncompressedArchivePassesThrough() throws {
        let (root, _) = try TarManifestTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tar = try TarManifestTests.tar(["-cf", "-", "tree"], in: root)
        let inspection = try Self.inspect(tar, decompressor: PassthroughDecompressor(), key: nil)
        #expect(inspection.manifest == (try TarManifestTests.read(tar)))
    }
}

@Suite struct AttackArchiveInspectorTests {
    @Test func corruptGzipAndTamperedSealAreDetected() throws {
        let (root, _) = try TarManifestTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var gzipped = try TarManifestTests.tar(["-czf", "-", "tree"], in: root)
        let key = SymmetricKey(size: .bits256)
        var sealed = try SealedArchiveTests.seal(gzipped, key: key, chunkSize: 8192)
        sealed[sealed.count / 2] ^= 0x40
        #expect(throws: ArchiveFormatError.self) { _ = try ArchiveInspectorTests.inspect(sealed, decompressor: try GzipDecompressor(), key: key) }
        gzipped[gzipped.count / 2] ^= 0x40
        #expect(throws: (any Error).self) { _ = try ArchiveInspectorTests.inspect(gzipped, decompressor: try GzipDecompressor(), key: nil) }
        #expect(throws: (any Error).self) {
            _ = try ArchiveInspectorTests.inspect(Array(gzipped.prefix(gzipped.count / 2)), decompressor: try GzipDecompressor(), key: nil)
        }
    }
}

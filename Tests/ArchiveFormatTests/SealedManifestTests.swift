@testable import ArchiveFormat
import Crypto
import Testing

/// A sealed archive's manifest: a key of its own for every seal, so sealing it again (after a
/// verification, in a newer manifest format) never repeats a nonce under a key.
@Suite struct SealedManifestTests {
    let manifest = ArchiveManifest(entries: [
        TarEntry(path: "etc/hosts", kind: .file, mode: 0o644, size: 12, mtime: 1, linkTarget: "", sha256: String(repeating: "a", count: 64))
    ])

    @Test func eachSealHasAKeyOfItsOwn() throws {
        let key = SymmetricKey(size: .bits256)
        let first = try manifest.sealed(with: key)
        let second = try manifest.sealed(with: key)
        let header = ArchiveManifest.sealedMagic.count + ArchiveManifest.saltSize
        #expect(first.starts(with: ArchiveManifest.sealedMagic))
        #expect(first[..<header] != second[..<header], "a fresh salt")
        #expect(first[(header + SealedArchiveHeader.size)...] != second[(header + SealedArchiveHeader.size)...], "so other ciphertext")
        #expect(try ArchiveManifest(sealed: first, dataKey: key) == manifest)
        #expect(try ArchiveManifest(sealed: second, dataKey: key) == manifest)
    }

    @Test func aWrongKeyAChangedSaltOrACutHeaderIsRefused() throws {
        let key = SymmetricKey(size: .bits256)
        let sealed = try manifest.sealed(with: key)
        #expect(throws: ArchiveFormatError.self) { try ArchiveManifest(sealed: sealed, dataKey: SymmetricKey(size: .bits256)) }
        var salt = sealed
        salt[ArchiveManifest.sealedMagic.count + 3] ^= 1
        #expect(throws: ArchiveFormatError.self) { try ArchiveManifest(sealed: salt, dataKey: key) }
        #expect(throws: ArchiveFormatError.self) { try ArchiveManifest(sealed: Array(sealed.prefix(20)), dataKey: key) }
    }

    @Test func aManifestSealedBeforeSaltsStillOpens() throws {
        let key = SymmetricKey(size: .bits256)
        var sealer = try ArchiveSealer(dataKey: ArchiveManifest.manifestKey(key, salt: nil))
        var legacy: [UInt8] = []
        try manifest.encoded().withUnsafeBytes { bytes in try sealer.seal(bytes) { legacy.append(contentsOf: $0) } }
        try sealer.finish { legacy.append(contentsOf: $0) }
        #expect(try ArchiveManifest(sealed: legacy, dataKey: key) == manifest)
    }
}

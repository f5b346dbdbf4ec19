import ArchiveFormat
import Crypto
import Testing

/// The encryption-at-rest format on its own: round trips and every way the bytes can be wrong.
@Suite struct SealedArchiveTests {
    static let chunk = 4096

    static func seal(_ plaintext: [UInt8], key: SymmetricKey, chunkSize: Int = chunk, piece: Int = 1000) throws -> [UInt8] {
        var sealer = try ArchiveSealer(dataKey: key, chunkSize: chunkSize)
        return try feed(plaintext, piece: piece, through: { bytes, emit in try sealer.seal(bytes, emit: emit) }, finish: { try sealer.finish(emit: $0) })
    }

    static func open(_ sealed: [UInt8], key: SymmetricKey, piece: Int = 777) throws -> [UInt8] {
        var opener = try ArchiveOpener(dataKey: key)
        return try feed(sealed, piece: piece, through: { bytes, emit in try opener.open(bytes, emit: emit) }, finish: { try opener.finish(emit: $0) })
    }

    /// Feeds `input` in pieces of `piece` bytes, as a stream would arrive, and collects the output.
    static func feed(
        _ input: [UInt8], piece: Int,
        through step: (UnsafeRawBufferPointer, (UnsafeRawBufferPointer) -> Void) throws -> Void,
        finish: ((UnsafeRawBufferPointer) -> Void) throws -> Void
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        while offset < input.count {
            let end = min(offset + piece, input.count)
            try input[offset..<end].withUnsafeBytes { try step($0) { out.append(contentsOf: $0) } }
            offset = end
        }
        try finish { out.append(contentsOf: $0) }
        return out
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test(arguments: [0, 1, 4095, 4096, 4097, 3 * 4096, 50_000])
    func roundTripsAnySize(size: Int) throws {
        let key = SymmetricKey(size: .bits256)
        let plaintext = Self.randomBytes(size)
        let sealed = try Self.seal(plaintext, key: key)
        #expect(try Self.open(sealed, key: key) == plaintext)
        // header + full chunks + one short final chunk (possibly empty) with a tag each
        let chunks = size / Self.chunk + 1
        #expect(sealed.count == SealedArchiveHeader.size + size + chunks * SealedArchiveHeader.tagSize)
    }

    /// Whole chunks sealed where they lie (input pieces of a chunk or more) give the same bytes
    /// as chunks gathered from small pieces.
    @Test(arguments: [1000, 4096, 4096 * 3 + 5, 100_000])
    func pieceSizesDoNotChangeTheSealedBytes(piece: Int) throws {
        let key = SymmetricKey(size: .bits256)
        let plaintext = Self.randomBytes(3 * 4096 + 4096 / 2)
        let reference = try Self.seal(plaintext, key: key, piece: 1)
        #expect(try Self.seal(plaintext, key: key, piece: piece) == reference)
        #expect(try Self.open(reference, key: key) == plaintext)
    }

    @Test func ciphertextShowsNoPlaintext() throws {
        let plaintext = Array(repeating: UInt8(ascii: "A"), count: 20_000) + Array("ustar secret-file-name".utf8)
        let sealed = try Self.seal(plaintext, key: SymmetricKey(size: .bits256))
        #expect(!String(decoding: sealed, as: UTF8.self).contains("secret-file-name"))
        #expect(!String(decoding: sealed, as: UTF8.self).contains("AAAAAAAA"))
    }

    @Test func wrongKeyIsRefused() throws {
        let sealed = try Self.seal(Self.randomBytes(10_000), key: SymmetricKey(size: .bits256))
        #expect(throws: ArchiveFormatError.self) { _ = try Self.open(sealed, key: SymmetricKey(size: .bits256)) }
    }

    @Test func plainArchiveIsNotSealed() {
        let gzip: [UInt8] = [0x1f, 0x8b, 8, 0] + Array(repeating: 0, count: 100)
        #expect { _ = try Self.open(gzip, key: SymmetricKey(size: .bits256)) } throws: { ($0 as? ArchiveFormatError)?.kind == .notSealed }
    }
}

/// What an attacker with write access to the storage could do to a sealed archive.
@Suite struct AttackSealedArchiveTests {
    let key = SymmetricKey(size: .bits256)
    let plaintext = SealedArchiveTests.randomBytes(5 * 4096 + 100)
    var full: Int { 4096 + SealedArchiveHeader.tagSize }

    func sealed() throws -> [UInt8] { try SealedArchiveTests.seal(plaintext, key: key) }

    func kind(_ bytes: [UInt8]) -> ArchiveFormatError.Kind? {
        do {
            _ = try SealedArchiveTests.open(bytes, key: key)
            return nil
        } catch {
            return (error as? ArchiveFormatError)?.kind
        }
    }

    @Test func flippedByteInEveryRegionIsDetected() throws {
        let original = try sealed()
        for position in [0, 7, 9, 15, 16, 100, 16 + full - 1, 16 + 2 * full + 5, original.count - 20, original.count - 1] {
            var bytes = original
            bytes[position] ^= 0x01
            #expect(kind(bytes) != nil, "flipped byte at \(position) went unnoticed")
        }
    }

    @Test func droppedChunkIsDetected() throws {
        var bytes = try sealed()
        bytes.removeSubrange(16 + full..<16 + 2 * full)
        #expect(kind(bytes) == .tampered)
    }

    @Test func swappedChunksAreDetected() throws {
        var bytes = try sealed()
        let first = Array(bytes[16..<16 + full])
        let second = Array(bytes[16 + full..<16 + 2 * full])
        bytes.replaceSubrange(16..<16 + full, with: second)
        bytes.replaceSubrange(16 + full..<16 + 2 * full, with: first)
        #expect(kind(bytes) == .tampered)
    }

    @Test func truncationAtAChunkBoundaryIsDetected() throws {
        let bytes = try sealed()
        #expect(kind(Array(bytes.prefix(16 + 3 * full))) == .truncated)
        #expect(kind(Array(bytes.prefix(16))) == .truncated)
    }

    @Test func truncationInsideAChunkIsDetected() throws {
        let bytes = try sealed()
        #expect(kind(Array(bytes.prefix(16 + 3 * full + 500))) == .truncated)
        #expect(kind(Array(bytes.dropLast(1))) == .truncated)
    }

    @Test func appendedBytesAreDetected() throws {
        let bytes = try sealed()
        #expect(kind(bytes + [0]) != nil)
        #expect(kind(bytes + Array(bytes[16..<16 + full])) != nil)
    }

    @Test func chunkSizeInTheHeaderCannotBeChanged() throws {
        var bytes = try sealed()
        bytes[10] = 0x20  // 4096 -> 8192
        #expect(kind(bytes) != nil)
    }
}

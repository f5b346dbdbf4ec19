import Crypto

/// The 16 bytes in front of a sealed archive: magic, version and chunk size. They are
/// authenticated as every chunk's additional data, so none of them can be changed unnoticed.
///
/// Layout: `MMARCH` 0x00 0x01 | chunk size (UInt32, big-endian) | 4 zero bytes; then chunks of
/// `chunkSize + 16` bytes (AES-256-GCM ciphertext and tag), the last one shorter: it holds the
/// rest of the plaintext (possibly nothing) and is sealed with the final flag, so a stream cut at
/// a chunk boundary has no final chunk and is refused.
package struct SealedArchiveHeader: Sendable, Equatable {
    package static let size = 16
    package static let tagSize = 16
    static let magic: [UInt8] = Array("MMARCH".utf8) + [0, 1]
    /// Large enough that the per-chunk cost vanishes, small enough to bound memory.
    package static let defaultChunkSize = 1 << 20
    static let chunkSizes = 4096...(16 << 20)

    package let chunkSize: Int

    package init(chunkSize: Int = Self.defaultChunkSize) {
        self.chunkSize = chunkSize
    }

    package var bytes: [UInt8] {
        let size = UInt32(chunkSize)
        return Self.magic + [UInt8(size >> 24), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff), 0, 0, 0, 0]
    }

    /// Reads a header from the first 16 bytes.
    package init(parsing bytes: some Collection<UInt8>) throws(ArchiveFormatError) {
        let header = Array(bytes.prefix(Self.size))
        guard header.count == Self.size, Array(header[0..<6]) == Array(Self.magic[0..<6]) else {
            throw ArchiveFormatError(.notSealed, "the archive is not sealed (no MedicineMan encryption header)")
        }
        guard header[6] == 0, header[7] == 1, header[12..<16].allSatisfy({ $0 == 0 }) else {
            throw ArchiveFormatError(.unsupported, "the archive's encryption header is of a version this build does not read")
        }
        let size = Int(header[8]) << 24 | Int(header[9]) << 16 | Int(header[10]) << 8 | Int(header[11])
        guard Self.chunkSizes.contains(size) else {
            throw ArchiveFormatError(.unsupported, "the archive's chunk size \(size) is outside \(Self.chunkSizes)")
        }
        chunkSize = size
    }

    /// Chunk `index`'s nonce: its counter and whether it is the last. A data key seals one
    /// archive only, so counters never repeat under a key.
    static func nonce(chunk index: UInt64, final: Bool) -> AES.GCM.Nonce? {
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes[3] = final ? 1 : 0
        for shift in 0..<8 { bytes[4 + shift] = UInt8(truncatingIfNeeded: index >> (56 - 8 * UInt64(shift))) }
        return try? AES.GCM.Nonce(data: bytes)
    }
}

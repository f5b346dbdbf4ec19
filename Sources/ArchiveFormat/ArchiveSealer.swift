package import Crypto
import Foundation

/// Encrypts an archive as it streams: plaintext in, the sealed format out (header first), in
/// fixed-size AES-256-GCM chunks, so memory stays at one chunk whatever the archive's size.
package struct ArchiveSealer: Sendable {
    private let key: SymmetricKey
    private let header: SealedArchiveHeader
    private let additionalData: [UInt8]
    private var pending: [UInt8] = []
    private var chunkIndex: UInt64 = 0
    private var headerWritten = false

    /// `dataKey` must be 32 fresh random bytes used for this archive only: chunk counters restart at
    /// zero in every archive, so a key used twice would repeat nonces.
    package init(dataKey: SymmetricKey, chunkSize: Int = SealedArchiveHeader.defaultChunkSize) throws(ArchiveFormatError) {
        guard dataKey.bitCount == 256 else { throw ArchiveFormatError(.badKey, "an archive data key must be 256 bits") }
        guard SealedArchiveHeader.chunkSizes.contains(chunkSize) else {
            throw ArchiveFormatError(.unsupported, "chunk size \(chunkSize) is outside \(SealedArchiveHeader.chunkSizes)")
        }
        key = dataKey
        header = SealedArchiveHeader(chunkSize: chunkSize)
        additionalData = header.bytes
        pending.reserveCapacity(chunkSize)
    }

    /// Takes the next plaintext bytes; hands every completed piece of output to `emit`.
    package mutating func seal(_ plaintext: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try writeHeaderOnce(emit)
        var offset = 0
        while offset < plaintext.count {
            // A whole chunk in the input is sealed where it lies, without a copy.
            if pending.isEmpty, plaintext.count - offset >= header.chunkSize {
                try sealChunk(UnsafeRawBufferPointer(rebasing: plaintext[offset..<offset + header.chunkSize]), index: chunkIndex, final: false, emit)
                chunkIndex += 1
                offset += header.chunkSize
                continue
            }
            let take = min(header.chunkSize - pending.count, plaintext.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: plaintext[offset..<offset + take]))
            offset += take
            if pending.count == header.chunkSize { try sealPending(final: false, emit) }
        }
    }

    /// Seals the last chunk (shorter than a full one, possibly empty). Call once, at the end.
    package mutating func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try writeHeaderOnce(emit)
        try sealPending(final: true, emit)
    }

    private mutating func writeHeaderOnce(_ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !headerWritten else { return }
        headerWritten = true
        try additionalData.withUnsafeBytes { try emit($0) }
    }

    private mutating func sealPending(final: Bool, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try pending.withUnsafeBytes { try sealChunk($0, index: chunkIndex, final: final, emit) }
        chunkIndex += 1
        pending.removeAll(keepingCapacity: true)
    }

    private func sealChunk(_ plaintext: UnsafeRawBufferPointer, index: UInt64, final: Bool, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let nonce = SealedArchiveHeader.nonce(chunk: index, final: final) else {
            throw ArchiveFormatError(.badKey, "chunk \(index) has no nonce")
        }
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: additionalData)
        try box.ciphertext.withUnsafeBytes { try emit($0) }
        try box.tag.withUnsafeBytes { try emit($0) }
    }
}

package import Crypto
import Foundation

/// Decrypts a sealed archive as it streams: the sealed format in, plaintext out. It detects
/// changed bytes, dropped, repeated or reordered chunks (each chunk's counter is in its nonce)
/// and truncation (the last chunk carries a final flag and must be short).
package struct ArchiveOpener: Sendable {
    private let key: SymmetricKey
    private var header: SealedArchiveHeader?
    private var additionalData: [UInt8] = []
    private var buffer: [UInt8] = []
    private var chunkIndex: UInt64 = 0
    private var finished = false

    package init(dataKey: SymmetricKey) throws(ArchiveFormatError) {
        guard dataKey.bitCount == 256 else { throw ArchiveFormatError(.badKey, "an archive data key must be 256 bits") }
        key = dataKey
    }

    /// Takes the next sealed bytes; hands plaintext to `emit` one whole chunk at a time.
    package mutating func open(_ sealed: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        buffer.append(contentsOf: sealed)
        if header == nil {
            guard buffer.count >= SealedArchiveHeader.size else { return }
            let parsed = try SealedArchiveHeader(parsing: buffer)
            header = parsed
            additionalData = parsed.bytes
            buffer.removeFirst(SealedArchiveHeader.size)
        }
        guard let header else { return }
        let full = header.chunkSize + SealedArchiveHeader.tagSize
        var offset = 0
        while buffer.count - offset >= full {
            guard !finished else { throw ArchiveFormatError(.tampered, "bytes follow the archive's final chunk") }
            try openChunk(buffer[offset..<offset + full], final: false, emit)
            offset += full
        }
        if offset > 0 { buffer.removeFirst(offset) }
    }

    /// Opens the final chunk; throws `.truncated` when the stream stopped before it.
    package mutating func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard header != nil else {
            throw ArchiveFormatError(buffer.isEmpty ? .truncated : .notSealed, "the archive ends before its encryption header")
        }
        guard !finished else { return }
        guard buffer.count >= SealedArchiveHeader.tagSize else {
            throw ArchiveFormatError(.truncated, "the archive is truncated: it ends before its final chunk (after \(chunkIndex) chunks)")
        }
        try openChunk(buffer[...], final: true, emit)
        buffer.removeAll()
        finished = true
    }

    private mutating func openChunk(_ chunk: ArraySlice<UInt8>, final: Bool, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let tagStart = chunk.endIndex - SealedArchiveHeader.tagSize
        guard let nonce = SealedArchiveHeader.nonce(chunk: chunkIndex, final: final),
            let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: chunk[chunk.startIndex..<tagStart], tag: chunk[tagStart...]),
            let plaintext = try? AES.GCM.open(box, using: key, authenticating: additionalData)
        else {
            let what = final ? "the final chunk is truncated or altered" : "chunk \(chunkIndex) is altered, missing or out of order"
            throw ArchiveFormatError(final ? .truncated : .tampered, "the archive does not authenticate: \(what) (or the key is wrong)")
        }
        chunkIndex += 1
        try plaintext.withUnsafeBytes { try emit($0) }
    }
}

import ArchiveFormat
import Crypto
import Foundation
import Records

/// What the SSH thread does with each piece of `tar` output: seals it when the archive is
/// encrypted, hashes exactly the bytes stored, and hands them to storage (a file or an upload).
/// Lives on that thread for the whole stream.
struct ArchiveStreamSink {
    private var sealer: ArchiveSealer?
    private var hasher = SHA256()
    private(set) var storedBytes: Int64 = 0
    private let store: (UnsafeRawBufferPointer) throws -> Void

    init(dataKey: SymmetricKey?, store: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        sealer = try dataKey.map { try ArchiveSealer(dataKey: $0) }
        self.store = store
    }

    mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard var sealer else { return try keep(chunk) }
        self.sealer = nil
        try sealer.seal(chunk) { try keep($0) }
        self.sealer = sealer
    }

    /// Seals the last chunk; returns the SHA-256 of everything stored.
    mutating func finish() throws -> String {
        if var sealer {
            self.sealer = nil
            try sealer.finish { try keep($0) }
        }
        return Hex.encode(hasher.finalize())
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        storedBytes += Int64(bytes.count)
        try store(bytes)
    }
}

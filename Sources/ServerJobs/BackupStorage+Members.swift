import ArchiveFormat
package import Crypto
import Foundation
package import Records

/// One regular file's bytes as they come out of a stored archive (`BackupStorage.streamMember`).
/// Call `cancel()` when giving up early, so the reading thread stops.
package struct ArchiveMemberStream: Sendable {
    fileprivate let handOff: ChunkHandOff

    /// The next bytes, nil at the end; throws when the archive is damaged or the file's content
    /// does not match its SHA-256 (after the bytes before the damage were handed out).
    package func next() async throws -> [UInt8]? { try await handOff.next() }

    package func cancel() { handOff.cancel() }
}

extension BackupStorage {
    /// Streams the member `path` of `backup`'s archive (decrypted with `dataKey` when sealed,
    /// decompressed, its tar read) on a thread of its own; stops reading once the member ended.
    package func streamMember(_ path: String, sha256: String?, of backup: Backup, dataKey: SymmetricKey?) async throws(ServerJobError) -> ArchiveMemberStream {
        let source: ArchiveVerifier.ArchiveSource
        if let store = try objectStore(for: backup) {
            source = .object(try await objectReader(of: backup, in: store), key: try objectKey(of: backup, in: store), store: store)
        } else {
            source = .file(try archivePath(of: backup))
        }
        let handOff = ChunkHandOff()
        let compression = backup.compression
        let thread = Thread {
            Self.extract(path, sha256: sha256, from: source, compression: compression, dataKey: dataKey, into: handOff)
        }
        thread.name = "archive-member"
        thread.start()
        return ArchiveMemberStream(handOff: handOff)
    }

    /// Thrown inside the pipeline to stop reading: the consumer left.
    private struct StopReading: Error {}

    private static func extract(
        _ path: String, sha256: String?, from source: ArchiveVerifier.ArchiveSource, compression: Compression,
        dataKey: SymmetricKey?, into handOff: ChunkHandOff
    ) {
        let nextChunk: () throws -> [UInt8]?
        let cleanup: () -> Void
        switch source {
        case .file(let file):
            guard let handle = FileHandle(forReadingAtPath: file) else {
                handOff.finish(ServerJobError(.storage, "the archive \(file) cannot be read"))
                return
            }
            nextChunk = {
                guard let data = try handle.read(upToCount: 256 << 10), !data.isEmpty else { return nil }
                return Array(data)
            }
            cleanup = { try? handle.close() }
        case .object(let reader, _, _):
            nextChunk = { try reader.next() }
            cleanup = { reader.cancel() }
        }
        defer { cleanup() }
        do {
            var opener = try dataKey.map { try ArchiveOpener(dataKey: $0) }
            var decompressor = try ArchiveDecompressor(compression)
            var extractor = TarMemberExtractor(path: path, expectedSHA256: sha256)
            func untar(_ tar: UnsafeRawBufferPointer) throws {
                try extractor.consume(tar) { content in
                    guard handOff.put(Array(content)) else { throw StopReading() }
                }
            }
            func decompress(_ plain: UnsafeRawBufferPointer) throws { try decompressor.push(plain, emit: untar) }
            do {
                // Once the member has ended the rest is not read (a decompressor turns errors
                // thrown from inside it into its own, so the loop checks instead).
                while !extractor.isDone, let chunk = try nextChunk() {
                    if handOff.isCancelled { throw StopReading() }
                    if var current = opener {
                        opener = nil
                        try chunk.withUnsafeBytes { try current.open($0, emit: decompress) }
                        opener = current
                    } else {
                        try chunk.withUnsafeBytes { try decompress($0) }
                    }
                }
                if !extractor.isDone {
                    if var current = opener { try current.finish(emit: decompress) }
                    try decompressor.finish(emit: untar)
                }
                try extractor.finish()
            } catch is StopReading {
                return  // the consumer left
            }
            handOff.finish()
        } catch {
            handOff.finish(error)
        }
    }
}

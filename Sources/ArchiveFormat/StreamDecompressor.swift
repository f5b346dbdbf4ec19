import CompressNIO
import NIOCore

/// Undoes the archive's compression as bytes arrive, so the tar inside can be read without a
/// temporary file.
package protocol StreamDecompressor {
    mutating func push(_ compressed: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws
    mutating func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws
}

/// An uncompressed archive.
package struct PassthroughDecompressor: StreamDecompressor {
    package init() {}
    package mutating func push(_ compressed: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws { try emit(compressed) }
    package mutating func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {}
}

/// gzip, through zlib (compress-nio), with a fixed output window: memory stays bounded.
package struct GzipDecompressor: StreamDecompressor {
    private let decompressor: any NIODecompressor
    private var input = ByteBuffer()

    package init() throws {
        decompressor = CompressionAlgorithm.gzip().decompressor
        decompressor.window = ByteBufferAllocator().buffer(capacity: 256 * 1024)
        try decompressor.startStream()
    }

    package mutating func push(_ compressed: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        input.clear()
        input.writeBytes(compressed)
        do {
            try input.decompressStream(with: decompressor) { window in
                try window.withUnsafeReadableBytes { try emit($0) }
            }
        } catch let error as ArchiveFormatError {
            throw error
        } catch {
            throw ArchiveFormatError(.malformedTar, "the archive's gzip stream is corrupt")
        }
    }

    package mutating func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        do { try decompressor.finishStream() } catch {
            throw ArchiveFormatError(.malformedTar, "the archive's gzip stream is truncated or corrupt")
        }
    }
}

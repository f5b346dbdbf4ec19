import ArchiveFormat
import BlockingIO
import Crypto
import Foundation
import Records

/// The decompressor for an archive's compression: zlib in-process for gzip, `zstd -dc` for zstd.
enum ArchiveDecompressor: StreamDecompressor {
    case plain(PassthroughDecompressor)
    case gzip(GzipDecompressor)
    case external(ExternalDecompressor)

    init(_ compression: Compression) throws {
        switch compression {
        case .none: self = .plain(PassthroughDecompressor())
        case .gzip: self = .gzip(try GzipDecompressor())
        case .zstd: self = .external(try ExternalDecompressor(arguments: ["zstd", "-dc"]))
        }
    }

    mutating func push(_ compressed: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch self {
        case .plain(var stage): try stage.push(compressed, emit: emit)
        case .gzip(var stage):
            self = .plain(PassthroughDecompressor())  // keep one reference to zlib's state
            defer { self = .gzip(stage) }
            try stage.push(compressed, emit: emit)
        case .external(let stage): try stage.push(compressed, emit: emit)
        }
    }

    mutating func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch self {
        case .plain: break
        case .gzip(var stage): try stage.finish(emit: emit)
        case .external(let stage): try stage.finish(emit: emit)
        }
    }
}

extension ArchiveVerifier {
    /// Reads a stored archive once from `next` (chunks until nil): its SHA-256, and, by
    /// decrypting and decompressing it, its manifest. Throws when any layer is damaged.
    static func inspect(reading next: () throws -> [UInt8]?, compression: Compression, dataKey: SymmetricKey?) throws -> ArchiveInspection {
        var inspector = try ArchiveInspector(decompressor: try ArchiveDecompressor(compression), dataKey: dataKey)
        while let chunk = try next() {
            try chunk.withUnsafeBytes { try inspector.consume($0) }
        }
        return try inspector.finish()
    }
}


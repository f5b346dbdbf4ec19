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
        case .zstd: self = .external(try ExternalDecompressor(arguments: [ExternalDecompressor.zstdPath, "-dc"]))
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
    /// decrypting and decompressing it, its manifest, or the first damage found in a layer. The
    /// hash covers every byte even after damage, so a replaced archive reports as a mismatch.
    static func inspect(reading next: () throws -> [UInt8]?, compression: Compression, dataKey: SymmetricKey?) throws -> (sha256: String, manifest: Swift.Result<ArchiveManifest, any Error>) {
        var hasher = SHA256()
        var inspector: ArchiveInspector<ArchiveDecompressor>?
        var damage: (any Error)?
        do { inspector = try ArchiveInspector(decompressor: try ArchiveDecompressor(compression), dataKey: dataKey) } catch { damage = error }
        while let chunk = try next() {
            hasher.update(data: chunk)
            guard damage == nil, var current = inspector else { continue }
            inspector = nil
            do {
                try chunk.withUnsafeBytes { try current.consume($0) }
                inspector = current
            } catch {
                damage = error
            }
        }
        let digest = Hex.encode(hasher.finalize())
        if let damage { return (digest, .failure(damage)) }
        guard var inspector else { return (digest, .failure(ArchiveFormatError(.malformedTar, "the archive could not be read"))) }
        do { return (digest, .success(try inspector.finish().manifest)) } catch { return (digest, .failure(error)) }
    }
}

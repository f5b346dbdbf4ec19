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

    /// Verifies the archive file at `path` against the recorded SHA-256, reading every layer;
    /// on success returns the manifest as well.
    static func inspect(path: String, sha256 expected: String, compression: Compression, dataKey: SymmetricKey?) -> (Result, ArchiveManifest?) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return (Result(verified: false, reason: "the archive \(path) cannot be read"), nil)
        }
        defer { try? handle.close() }
        do {
            let inspection = try inspect(reading: {
                guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
                return Array(data)
            }, compression: compression, dataKey: dataKey)
            guard inspection.sha256 == expected else {
                return (Result(verified: false, reason: "SHA-256 mismatch: stored \(expected.prefix(12))…, file has \(inspection.sha256.prefix(12))…"), nil)
            }
            return (Result(verified: true, reason: nil), inspection.manifest)
        } catch let error as ArchiveFormatError {
            return (Result(verified: false, reason: "the archive does not read back: \(error.message)"), nil)
        } catch {
            return (Result(verified: false, reason: "the archive does not read back: \(error)"), nil)
        }
    }
}

extension ArchiveVerifier {
    /// Verifies an archive just stored by this process, off the cooperative pool.
    static func verifyStored(_ outcome: BackupOutcome, compression: Compression, dataKey: SymmetricKey?, storage: BackupStorage) async -> Result {
        await BlockingWork.run {
            let (result, manifest) = inspect(path: outcome.localPath, sha256: outcome.sha256, compression: compression, dataKey: dataKey)
            if let manifest { storage.storeManifest(manifest, besideArchive: outcome.localPath) }
            return result
        }
    }
}

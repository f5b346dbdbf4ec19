import ArchiveFormat
import BlockingIO
package import Crypto
import Foundation
package import Records

/// Checks a stored archive by reading it back once, wherever it is stored: its SHA-256 against
/// the row, then every layer inside (decryption when sealed, decompression, each tar header and
/// member). The manifest this yields is stored beside the archive for browsing and diffs.
package enum ArchiveVerifier {
    package struct Result: Sendable, Equatable {
        package var verified: Bool
        /// Why verification failed.
        package var reason: String?
    }

    /// Verifies a backup's stored archive, found through `storage` (never a file outside it).
    package static func verify(_ backup: Backup, in storage: BackupStorage, dataKey: SymmetricKey? = nil) async -> Result {
        let source: ArchiveSource
        do {
            if let store = try storage.objectStore(for: backup) {
                source = .object(try await storage.objectReader(of: backup, in: store), key: try storage.objectKey(of: backup, in: store), store: store)
            } else {
                source = .file(try await BlockingWork.run { () throws(ServerJobError) in try storage.archivePath(of: backup) })
            }
        } catch {
            return Result(verified: false, reason: error.message)
        }
        return await verify(source, sha256: backup.sha256 ?? "", compression: backup.compression, dataKey: dataKey, storage: storage)
    }

    /// A just-made archive, where it was stored.
    package static func verify(_ outcome: BackupOutcome, compression: Compression, dataKey: SymmetricKey? = nil, in storage: BackupStorage) async -> Result {
        guard let store = storage.objectStore, let key = outcome.objectKey else {
            return await verify(.file(outcome.localPath), sha256: outcome.sha256, compression: compression, dataKey: dataKey, storage: storage)
        }
        do {
            guard let size = try await store.size(of: key), size == outcome.size else {
                return Result(verified: false, reason: "the object \(key) is missing or not the \(outcome.size) bytes that were uploaded")
            }
            return await verify(
                .object(ObjectRangeReader(store: store, key: key, size: size), key: key, store: store), sha256: outcome.sha256,
                compression: compression, dataKey: dataKey, storage: storage)
        } catch {
            return Result(verified: false, reason: error.message)
        }
    }

    /// An archive file on this machine (its manifest goes beside it).
    package static func verify(path: String, sha256: String, compression: Compression, dataKey: SymmetricKey? = nil) async -> Result {
        await verify(.file(path), sha256: sha256, compression: compression, dataKey: dataKey, storage: BackupStorage(root: (path as NSString).deletingLastPathComponent))
    }

    /// Where the stored bytes come from.
    enum ArchiveSource: Sendable {
        case file(String)
        case object(ObjectRangeReader, key: String, store: ObjectStore)
    }

    static func verify(
        _ source: ArchiveSource, sha256 expected: String, compression: Compression, dataKey: SymmetricKey?,
        storage: BackupStorage
    ) async -> Result {
        // Reading, decrypting and parsing block: on a thread of their own, not the cooperative pool.
        @Sendable func reading(_ next: () throws -> [UInt8]?) -> Swift.Result<(sha256: String, manifest: Swift.Result<ArchiveManifest, any Error>), InspectionFailure> {
            do { return .success(try inspect(reading: next, compression: compression, dataKey: dataKey)) } catch {
                return .failure(InspectionFailure("the archive cannot be read from storage: \((error as? ServerJobError)?.message ?? "\(error)")"))
            }
        }
        let read = await BlockingWork.run { () -> Swift.Result<(sha256: String, manifest: Swift.Result<ArchiveManifest, any Error>), InspectionFailure> in
            switch source {
            case .file(let path):
                guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(InspectionFailure("the archive \(path) cannot be read")) }
                defer { try? handle.close() }
                return reading {
                    guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
                    return Array(data)
                }
            case .object(let reader, _, _):
                defer { reader.cancel() }
                return reading { try reader.next() }
            }
        }
        let inspection: (sha256: String, manifest: Swift.Result<ArchiveManifest, any Error>)
        switch read {
        case .success(let value): inspection = value
        case .failure(let failure): return Result(verified: false, reason: failure.message)
        }
        guard inspection.sha256 == expected else {
            return Result(verified: false, reason: "SHA-256 mismatch: the row has \(expected.prefix(12))…, the stored archive \(inspection.sha256.prefix(12))…")
        }
        let manifest: ArchiveManifest
        switch inspection.manifest {
        case .success(let value): manifest = value
        case .failure(let error):
            return Result(verified: false, reason: "the archive does not read back: \((error as? ArchiveFormatError)?.message ?? "\(error)")")
        }
        switch source {
        case .file(let path): await storage.storeManifest(manifest, at: .file(BackupStorage.manifestPath(ofArchive: path)), dataKey: dataKey)
        case .object(_, let key, let store): await storage.storeManifest(manifest, at: .object(BackupStorage.manifestPath(ofArchive: key), store), dataKey: dataKey)
        }
        return Result(verified: true, reason: nil)
    }

    private struct InspectionFailure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Streams the file through SHA-256 in 1 MiB reads.
    package static func sha256(of path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return Hex.encode(hasher.finalize())
    }
}

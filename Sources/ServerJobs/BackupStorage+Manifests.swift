package import ArchiveFormat
import BlockingIO
package import Crypto
import Foundation
import NIOCore
package import Records

/// Manifests live beside their archives (`<archive>.manifest.gz`, a file or an object), written
/// when verification has read the archive, removed with it.
extension BackupStorage {
    enum ManifestLocation: Sendable {
        case file(String)
        case object(String, ObjectStore)
    }

    package static func manifestPath(ofArchive archive: String) -> String { archive + ".manifest.gz" }

    /// The archive name a manifest's name ends in (`<archive>.manifest.gz`), nil for other names.
    package static func archiveName(ofManifest name: String) -> String? {
        name.hasSuffix(".manifest.gz") ? String(name.dropLast(".manifest.gz".count)) : nil
    }

    /// The archive of a manifest's key under `prefix`, parsed as `archiveName(ofKey:prefix:)` parses archives'.
    package static func archiveName(ofManifestKey key: String, prefix: String) -> ArchiveName? {
        archiveName(ofManifest: key).flatMap { archiveName(ofKey: $0, prefix: prefix) }
    }
    /// Compressed manifests beyond this are not read (a 20M-member archive stays well under it).
    static let maxManifestBytes = 256 << 20

    /// Where `backup`'s manifest is (or would be).
    func manifestLocation(of backup: Backup) throws(ServerJobError) -> ManifestLocation {
        if let store = try objectStore(for: backup) {
            return .object(Self.manifestPath(ofArchive: try objectKey(of: backup, in: store)), store)
        }
        return .file(Self.manifestPath(ofArchive: try archivePath(of: backup)))
    }

    /// Best effort: a manifest that could not be written is written by the next verification.
    /// Sealed, under a key derived from the archive's, when the archive is sealed.
    func storeManifest(_ manifest: ArchiveManifest, at location: ManifestLocation, dataKey: SymmetricKey?) async {
        guard let bytes = try? (dataKey.map { try manifest.sealed(with: $0) } ?? manifest.encoded()) else { return }
        switch location {
        case .file(let path):
            await BlockingWork.run {
                let partial = path + ".partial"
                guard FileManager.default.createFile(atPath: partial, contents: Data(bytes), attributes: [.posixPermissions: 0o600]),
                    rename(partial, path) == 0
                else {
                    unlink(partial)
                    return
                }
            }
        case .object(let key, let store):
            try? await store.put(key, bytes)
        }
    }

    /// The manifest of `backup`, or nil when none was written yet (verify the backup to write it).
    /// `dataKey` opens the manifest of a sealed archive.
    package func manifest(of backup: Backup, dataKey: SymmetricKey?) async throws(ServerJobError) -> ArchiveManifest? {
        let bytes: [UInt8]?
        switch try manifestLocation(of: backup) {
        case .file(let path):
            bytes = await BlockingWork.run {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                    let size = attributes[.size] as? Int, size <= Self.maxManifestBytes
                else { return nil }
                return FileManager.default.contents(atPath: path).map(Array.init)
            }
        case .object(let key, let store):
            guard let size = try await store.size(of: key) else { return nil }
            guard size <= Self.maxManifestBytes else { throw ServerJobError(.storage, "the manifest of backup \(backup.id) is too large") }
            var buffer = try await store.read(key, offset: 0, length: Int(size))
            bytes = buffer.readBytes(length: buffer.readableBytes)
        }
        guard let bytes else { return nil }
        let decoded = await BlockingWork.run {
            Swift.Result { try dataKey.map { try ArchiveManifest(sealed: bytes, dataKey: $0) } ?? ArchiveManifest(decoding: bytes) }
        }
        switch decoded {
        case .success(let manifest): return manifest
        case .failure(let error): throw ServerJobError(.storage, "the manifest of backup \(backup.id) does not read: \(error)")
        }
    }

    /// Removes the manifest beside an archive being deleted; missing is fine.
    func removeManifest(at location: ManifestLocation) async {
        switch location {
        case .file(let path): _ = await BlockingWork.run { unlink(path) }
        case .object(let key, let store): try? await store.delete(key)
        }
    }
}

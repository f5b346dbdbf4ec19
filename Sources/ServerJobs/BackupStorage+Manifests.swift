import ArchiveFormat
import BlockingIO
import Foundation
import NIOCore
import Records

/// Manifests live beside their archives (`<archive>.manifest.gz`, a file or an object), written
/// when verification has read the archive, removed with it.
extension BackupStorage {
    enum ManifestLocation: Sendable {
        case file(String)
        case object(String, ObjectStore)
    }

    static func manifestPath(ofArchive archive: String) -> String { archive + ".manifest.gz" }

    /// Where `backup`'s manifest is (or would be).
    func manifestLocation(of backup: Backup) throws(ServerJobError) -> ManifestLocation {
        if let store = try objectStore(for: backup) {
            return .object(Self.manifestPath(ofArchive: try objectKey(of: backup, in: store)), store)
        }
        return .file(Self.manifestPath(ofArchive: try archivePath(of: backup)))
    }

    /// Best effort: a manifest that could not be written is written by the next verification.
    func storeManifest(_ manifest: ArchiveManifest, at location: ManifestLocation) async {
        guard let bytes = try? manifest.encoded() else { return }
        switch location {
        case .file(let path):
            await BlockingWork.run {
                let partial = path + ".partial"
                guard FileManager.default.createFile(atPath: partial, contents: Data(bytes), attributes: [.posixPermissions: 0o600]),
                      rename(partial, path) == 0 else {
                    unlink(partial)
                    return
                }
            }
        case .object(let key, let store):
            try? await store.put(key, bytes)
        }
    }

    /// The manifest of `backup`, or nil when none was written yet (verify the backup to write it).
    public func manifest(of backup: Backup) async throws(ServerJobError) -> ArchiveManifest? {
        let bytes: [UInt8]?
        switch try manifestLocation(of: backup) {
        case .file(let path):
            bytes = await BlockingWork.run { FileManager.default.contents(atPath: path).map(Array.init) }
        case .object(let key, let store):
            guard let size = try await store.size(of: key) else { return nil }
            guard size <= 512 << 20 else { throw ServerJobError(.storage, "the manifest of backup \(backup.id) is larger than 512 MiB") }
            var buffer = try await store.read(key, offset: 0, length: Int(size))
            bytes = buffer.readBytes(length: buffer.readableBytes)
        }
        guard let bytes else { return nil }
        let decoded = await BlockingWork.run { Swift.Result { try ArchiveManifest(decoding: bytes) } }
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

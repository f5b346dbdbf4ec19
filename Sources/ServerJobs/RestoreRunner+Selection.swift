import ArchiveFormat
import Crypto
import Foundation
import Records

extension RestoreRunner {
    /// At most this many bytes of member names in one restore (they travel on tar's command line).
    package static let selectionBytesLimit = 256 << 10

    /// For each archive of `chain`, the entries of `paths` whose latest version it holds (from
    /// the composed manifests, see `BackupTree`): GNU tar exits 2 when a named member is missing,
    /// so an archive is only ever given names it has.
    func members(_ paths: [String], of chain: [Backup], dataKeys: [UUID: SymmetricKey]) async throws(ServerJobError) -> [[String]] {
        guard !paths.isEmpty else { throw ServerJobError(.invalidRequest, "no paths to restore", retryable: false) }
        guard paths.reduce(0, { $0 + $1.utf8.count + 1 }) <= Self.selectionBytesLimit else {
            throw ServerJobError(.invalidRequest, "the paths to restore exceed \(Self.selectionBytesLimit) bytes", retryable: false)
        }
        var manifests: [ArchiveManifest] = []
        for backup in chain {
            guard let manifest = try await storage.manifest(of: backup, dataKey: dataKeys[backup.id]) else {
                throw ServerJobError(.invalidRequest, "backup \(backup.id.lowercasedString) has no file list yet: verify it first", retryable: false)
            }
            manifests.append(manifest)
        }
        let tree = BackupTree(chain: manifests)
        var selection = Array(repeating: [String](), count: chain.count)
        for path in Set(paths).sorted() {
            guard let source = tree.source(of: path), selection.indices.contains(source) else {
                throw ServerJobError(.notFound, "\(path) is not in the backup", retryable: false)
            }
            selection[source].append(path)
        }
        return selection
    }
}

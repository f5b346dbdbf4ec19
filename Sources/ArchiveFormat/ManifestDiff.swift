/// What changed between two backups of a server, by path.
package struct ManifestDiff: Sendable, Equatable {
    package var added: [TarEntry]
    package var removed: [TarEntry]
    package var changed: [TarEntry]

    /// `new` against `old`: paths only in `new` are added, only in `old` removed, in both with a
    /// different kind, size, mode, link or content (SHA-256, else mtime) changed. Sorted by path.
    package init(old: ArchiveManifest, new: ArchiveManifest) {
        let before = old.byPath
        let after = new.byPath
        added = after.values.filter { before[$0.path] == nil }.sorted { $0.path < $1.path }
        removed = before.values.filter { after[$0.path] == nil }.sorted { $0.path < $1.path }
        changed = after.values.filter { entry in before[entry.path].map { entry.differs(from: $0) } ?? false }.sorted { $0.path < $1.path }
    }
}

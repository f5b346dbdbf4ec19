/// What a restore of a backup's chain leaves on disk, composed from the chain's manifests (full
/// first): each archive's members replace earlier versions of their paths, and GNU tar's
/// dump-directory semantics remove what a later archive no longer has.
///
/// The removal rule, applied for each incremental archive to the tree so far, parents first: a
/// path is removed when its parent was removed; when the archive has the parent as a dump
/// directory whose names do not include it (deleted from a directory that still exists); or when
/// the parent was a directory of the tree and the archive does not have it (that directory was
/// deleted, or replaced by something else). Paths at the top of the backup (no parent
/// directory in the tree) stay. A dump directory whose names are unknown (a format 1 manifest,
/// or a listing above `TarStreamReader.metadataLimit`) removes nothing.
public struct BackupTree: Sendable {
    /// Sorted by path.
    public let entries: [TarEntry]
    /// For each path, the index (into the chain) of the archive that holds its latest version.
    public let sources: [String: Int]

    public init(chain: [ArchiveManifest]) {
        var current: [String: (entry: TarEntry, source: Int)] = [:]
        for (index, manifest) in chain.enumerated() {
            let members = manifest.byPath
            if index > 0 { Self.removeDeleted(from: &current, by: members) }
            for (path, entry) in members { current[path] = (entry, index) }
        }
        entries = current.values.map(\.entry).sorted { $0.path < $1.path }
        sources = current.mapValues(\.source)
    }

    static func removeDeleted(from current: inout [String: (entry: TarEntry, source: Int)], by members: [String: TarEntry]) {
        var removed = Set<String>()
        for path in current.keys.sorted() {
            guard let slash = path.lastIndex(of: "/") else { continue }
            let parent = String(path[..<slash])
            let name = String(path[path.index(after: slash)...])
            let gone: Bool
            if removed.contains(parent) {
                gone = true
            } else if let directory = members[parent] {
                if directory.kind != .directory { gone = true } else if let children = directory.children { gone = !children.contains(name) } else { gone = false }
            } else {
                gone = current[parent]?.entry.kind == .directory
            }
            if gone { removed.insert(path) }
        }
        for path in removed { current[path] = nil }
    }

    /// The entry at `path`, if the backup has it.
    public func entry(at path: String) -> TarEntry? {
        let index = lowerBound(path)
        guard index < entries.count, entries[index].path == path else { return nil }
        return entries[index]
    }

    /// Entries whose path starts with `prefix`, in path order, after the path `after`, at most `limit`.
    public func listing(prefix: String, after: String? = nil, limit: Int) -> [TarEntry] {
        let start = after.map { max($0, prefix) } ?? prefix
        var index = lowerBound(start)
        var result: [TarEntry] = []
        while index < entries.count, result.count < limit {
            let entry = entries[index]
            index += 1
            if let after, entry.path <= after { continue }
            guard entry.path.hasPrefix(prefix) else { break }
            result.append(entry)
        }
        return result
    }

    /// The tree as one manifest (for `ManifestDiff`).
    public var manifest: ArchiveManifest { ArchiveManifest(entries: entries) }

    /// The first index whose path is not below `path`.
    private func lowerBound(_ path: String) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].path < path { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

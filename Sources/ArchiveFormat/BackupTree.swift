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
/// or a listing above `TarStreamReader.dumpDirectoryKeepLimit`) removes nothing.
package struct BackupTree: Sendable {
    /// Sorted by path.
    package let entries: [TarEntry]
    /// For each of `entries`, the index (into the chain) of the archive that holds its latest version.
    let entrySources: [Int]

    package init(chain: [ArchiveManifest]) {
        if chain.count == 1, let only = chain.first {
            let sorted = Self.latestSorted(only.entries)
            entries = sorted
            entrySources = Array(repeating: 0, count: sorted.count)
            return
        }
        // Entries are composed as (archive, index) pairs and sorted as indices: a TarEntry (four
        // strings) moves once, into the result.
        var current: [String: (source: Int, index: Int)] = [:]
        current.reserveCapacity(chain.last?.entries.count ?? 0)
        for (source, manifest) in chain.enumerated() {
            if source > 0 {
                let members = manifest.byPath
                var composed = current.mapValues { (entry: chain[$0.source].entries[$0.index], source: $0.source) }
                Self.removeDeleted(from: &composed, by: members)
                current = current.filter { composed[$0.key] != nil }
            }
            for (index, entry) in manifest.entries.enumerated() { current[entry.path] = (source, index) }
        }
        let picked = Array(current.values)
        let paths = picked.map { chain[$0.source].entries[$0.index].path }
        let order = paths.indices.sorted { paths[$0] < paths[$1] }
        entries = order.map { chain[picked[$0].source].entries[picked[$0].index] }
        entrySources = order.map { picked[$0].source }
    }

    /// One archive's entries in path order, the last of each path kept (as tar leaves it), without
    /// a dictionary: sorted as indices (the sort is stable, so ties stay in archive order).
    static func latestSorted(_ entries: [TarEntry]) -> [TarEntry] {
        let paths = entries.map(\.path)
        var order = Array(paths.indices)
        if !zip(paths, paths.dropFirst()).allSatisfy({ $0 < $1 }) {
            order.sort { paths[$0] < paths[$1] }
        }
        var result: [TarEntry] = []
        result.reserveCapacity(order.count)
        for (position, index) in order.enumerated() {
            if position + 1 < order.count, paths[order[position + 1]] == paths[index] { continue }
            result.append(entries[index])
        }
        return result
    }

    /// The index (into the chain) of the archive holding `path`'s latest version.
    package func source(of path: String) -> Int? {
        let index = lowerBound(path)
        guard index < entries.count, entries[index].path == path else { return nil }
        return entrySources[index]
    }

    static func removeDeleted(from current: inout [String: (entry: TarEntry, source: Int)], by members: [String: TarEntry]) {
        var removed = Set<String>()
        // Each directory's names as a set, made once: a directory of n names is asked n times.
        var childSets: [String: Set<String>] = [:]
        for path in current.keys.sorted() {
            guard let slash = path.lastIndex(of: "/") else { continue }
            let parent = String(path[..<slash])
            let name = String(path[path.index(after: slash)...])
            let gone: Bool
            if removed.contains(parent) {
                gone = true
            } else if let directory = members[parent] {
                if directory.kind != .directory {
                    gone = true
                } else if let children = directory.children {
                    let names = childSets[parent] ?? Set(children)
                    childSets[parent] = names
                    gone = !names.contains(name)
                } else {
                    gone = false
                }
            } else {
                gone = current[parent]?.entry.kind == .directory
            }
            if gone { removed.insert(path) }
        }
        for path in removed { current[path] = nil }
    }

    /// The entry at `path`, if the backup has it.
    package func entry(at path: String) -> TarEntry? {
        let index = lowerBound(path)
        guard index < entries.count, entries[index].path == path else { return nil }
        return entries[index]
    }

    /// Entries whose path starts with `prefix`, in path order, after the path `after`, at most `limit`.
    package func listing(prefix: String, after: String? = nil, limit: Int) -> [TarEntry] {
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
    package var manifest: ArchiveManifest { ArchiveManifest(entries: entries) }

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

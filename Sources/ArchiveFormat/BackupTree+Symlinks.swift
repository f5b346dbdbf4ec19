/// A chain whose later archive writes through a symlink an earlier archive left.
package struct SymlinkTraversal: Sendable, Equatable {
    /// The archive of the chain (0 is the full backup) holding the member.
    package var archive: Int
    package var path: String
    /// The symlink on its way, as the earlier archive left it.
    package var symlink: String
    package var linkTarget: String

    package init(archive: Int, path: String, symlink: String, linkTarget: String) {
        self.archive = archive
        self.path = path
        self.symlink = symlink
        self.linkTarget = linkTarget
    }
}

extension BackupTree {
    /// The first member of a chain that a restore would write through a symlink left by an
    /// earlier archive of the chain, or nil. GNU tar guards against links made earlier in the
    /// same run only, so a crafted incremental could otherwise write `link/x` wherever `link`
    /// points (another user's files, the restoring user's `~/.ssh`).
    ///
    /// Judged on what tar leaves on disk, not on what an honest archive would say: a symlink
    /// stays until a directory member at its path comes earlier in the same archive (tar replaces
    /// the link with it); nothing is taken as deleted because a member is missing. Paths are
    /// compared as tar resolves them (no leading `/`, no empty or `.` components) and byte for
    /// byte; a hard link to a symlink is a symlink. A name that was not valid UTF-8 (decoded with
    /// U+FFFD) never counts as replacing a link, since two such names may be different files.
    package static func symlinkTraversal(in chain: [ArchiveManifest]) -> SymlinkTraversal? {
        var links: [[UInt8]: (path: String, target: String)] = [:]
        for (index, manifest) in chain.enumerated() {
            var replaced = Set<[UInt8]>()
            if index > 0 {
                for entry in manifest.entries {
                    let path = Self.resolved(entry.path)
                    var end = path.count
                    while let slash = path[..<end].lastIndex(of: UInt8(ascii: "/")) {
                        end = slash
                        let ancestor = Array(path[..<end])
                        if let link = links[ancestor], !replaced.contains(ancestor) {
                            return SymlinkTraversal(archive: index, path: entry.path, symlink: link.path, linkTarget: link.target)
                        }
                    }
                    if entry.kind == .directory, !entry.path.unicodeScalars.contains("\u{FFFD}") { replaced.insert(path) }
                }
            }
            for entry in manifest.entries {
                let path = Self.resolved(entry.path)
                switch entry.kind {
                case .symlink: links[path] = (entry.path, entry.linkTarget)
                case .hardlink:
                    if let target = links[Self.resolved(entry.linkTarget)] { links[path] = (entry.path, target.target) } else { links[path] = nil }
                default: links[path] = nil
                }
            }
        }
        return nil
    }

    /// A member name as GNU tar extracts it: without a leading `/` and without empty or `.`
    /// components, as bytes.
    static func resolved(_ path: String) -> [UInt8] {
        var components: [ArraySlice<UInt8>] = []
        for component in Array(path.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        where !(component.count == 1 && component.first == UInt8(ascii: ".")) {
            components.append(component)
        }
        return Array(components.joined(separator: [UInt8(ascii: "/")]))
    }
}

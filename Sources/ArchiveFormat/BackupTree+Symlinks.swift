/// A chain whose later archive writes through a symlink an earlier archive left.
public struct SymlinkTraversal: Sendable, Equatable {
    /// The archive of the chain (0 is the full backup) holding the member.
    public var archive: Int
    public var path: String
    /// The symlink on its way, as the earlier archive left it.
    public var symlink: String
    public var linkTarget: String

    public init(archive: Int, path: String, symlink: String, linkTarget: String) {
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
    /// points (another user's files, the restoring user's `~/.ssh`). A directory member at the
    /// symlink's path in the same archive replaces the link first, and is fine.
    public static func symlinkTraversal(in chain: [ArchiveManifest]) -> SymlinkTraversal? {
        var current: [String: (entry: TarEntry, source: Int)] = [:]
        for (index, manifest) in chain.enumerated() {
            let members = manifest.byPath
            if index > 0 {
                removeDeleted(from: &current, by: members)
                for path in members.keys.sorted() {
                    var ancestor = Substring(path)
                    while let slash = ancestor.lastIndex(of: "/") {
                        ancestor = ancestor[..<slash]
                        let name = String(ancestor)
                        guard let earlier = current[name]?.entry, earlier.kind == .symlink else { continue }
                        if members[name]?.kind == .directory { continue }
                        return SymlinkTraversal(archive: index, path: path, symlink: name, linkTarget: earlier.linkTarget)
                    }
                }
            }
            for (path, entry) in members { current[path] = (entry, index) }
        }
        return nil
    }
}

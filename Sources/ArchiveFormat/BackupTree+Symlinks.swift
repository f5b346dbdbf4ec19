/// A chain whose later archive writes through a symlink an earlier archive left. With no
/// `symlink`, `path` is named outside the restore's directory; with no `path` either, the
/// archive's rename records were not kept (a directory too large, a name not UTF-8).
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
    /// The first member of a chain that a restore would write through a symlink the chain left
    /// (or name outside the restore's directory), or nil. GNU tar defers only the links whose
    /// target is absolute or holds `..`, and only within one run: a crafted archive could
    /// otherwise write `link/x` wherever `link` points (another user's files, the restoring
    /// user's `~/.ssh`), through a link an earlier archive left or a harmless-looking one made
    /// earlier in the same archive that leads through it.
    ///
    /// Judged on what tar leaves on disk, member by member, not on what an honest archive would
    /// say (an honest archive never holds a member below one of its own links):
    /// - a symlink stays until a member at its path replaces it; nothing is taken as deleted
    ///   because a member is missing; a hard link to a symlink is a symlink;
    /// - a member's path, a hard link's target, and the names of a dump directory's rename
    ///   records (`R`, `T`, `X`, which `--listed-incremental` acts on) are each checked; a record
    ///   naming an absolute path or `..` is refused, and a renamed directory's links are taken to
    ///   be at both names;
    /// - paths are compared as tar resolves them (no leading `/`, no empty or `.` components) and
    ///   byte for byte; a name that was not valid UTF-8 (decoded with U+FFFD) never counts as
    ///   replacing a link, since two such names may be different files.
    package static func symlinkTraversal(in chain: [ArchiveManifest]) -> SymlinkTraversal? {
        var links: Links = [:]
        for (index, manifest) in chain.enumerated() {
            for entry in manifest.entries {
                let path = Self.resolved(entry.path)
                // A name ending in `.` (`link/.`, as tar writes a backup path given as `/srv/.`) is
                // resolved by tar through its last real component: where that is a link, a directory
                // or dump directory there would act on the link's target.
                if Self.endsInDot(entry.path), let link = links[path] {
                    return SymlinkTraversal(archive: index, path: entry.path, symlink: link.path, linkTarget: link.target)
                }
                var named = [(entry.path, path)]
                if entry.kind == .hardlink {
                    // Tar defers a hard link whose target holds `..` and makes it through whatever is there then.
                    if Self.climbs(entry.linkTarget) || Self.endsInDot(entry.linkTarget) {
                        return SymlinkTraversal(archive: index, path: entry.linkTarget, symlink: "", linkTarget: "")
                    }
                    named.append((entry.linkTarget, Self.resolved(entry.linkTarget)))
                }
                for (text, resolved) in named {
                    if let link = linkOnTheWay(to: resolved, in: links) {
                        return SymlinkTraversal(archive: index, path: text, symlink: link.path, linkTarget: link.target)
                    }
                }
                // Records that were not kept matter only where they are replayed: in a chain.
                let records = chain.count > 1 ? entry.renames ?? [] : (entry.renames ?? []).filter { $0 != TarStreamReader.unknownRenames }
                if let found = renameTraversal(records, archive: index, links: &links) { return found }
                let lossy = entry.path.unicodeScalars.contains("\u{FFFD}")
                switch entry.kind {
                case .symlink: links[path] = (entry.path, entry.linkTarget)
                case .hardlink:
                    if let target = links[Self.resolved(entry.linkTarget)] { links[path] = (entry.path, target.target) } else if !lossy { links[path] = nil }
                default: if !lossy { links[path] = nil }
                }
            }
        }
        return nil
    }

    /// Checks a dump directory's rename records as tar applies them; a renamed directory's links
    /// are added under its new name (and kept under the old, in case the rename failed).
    private static func renameTraversal(_ records: [String], archive: Int, links: inout Links) -> SymlinkTraversal? {
        var renamedFrom: [UInt8]?
        var temporary: [UInt8]?
        for record in records {
            // The flag is the record's first byte (a mark after it must not hide it).
            let bytes = Array(record.utf8)
            let flag = bytes.first
            let name = String(decoding: bytes.dropFirst(), as: UTF8.self)
            guard record != TarStreamReader.unknownRenames else {
                return SymlinkTraversal(archive: archive, path: "", symlink: "", linkTarget: "")  // unknown: see `SymlinkTraversal`
            }
            guard !name.hasPrefix("/"), !Self.climbs(name), !Self.endsInDot(name),
                !name.isEmpty || (flag != UInt8(ascii: "X") && temporary != nil)
            else {
                return SymlinkTraversal(archive: archive, path: name, symlink: "", linkTarget: "")
            }
            // An empty name in a cycle of renames is the temporary directory `X` named: a key no
            // member can spell.
            let path = name.isEmpty ? (temporary ?? []) : Self.resolved(name)
            // A temporary directory is made inside `X`'s name, so it may not be a link either.
            if !name.isEmpty, let link = linkOnTheWay(to: flag == UInt8(ascii: "X") ? path + Array("/tar".utf8) : path, in: links) {
                return SymlinkTraversal(archive: archive, path: name, symlink: link.path, linkTarget: link.target)
            }
            switch flag {
            case UInt8(ascii: "X"): temporary = path + [0]
            case UInt8(ascii: "R"): renamedFrom = path
            case UInt8(ascii: "T"):
                guard let from = renamedFrom else { break }
                let below = from + [UInt8(ascii: "/")]
                let moved = links.filter { $0.key == from || $0.key.starts(with: below) }
                for (key, link) in moved { links[path + key.dropFirst(from.count)] = link }
                renamedFrom = nil
                // Links copied under new names grow with every rename: past a bound, nothing can be said.
                guard links.count <= Self.maxTrackedLinks else { return SymlinkTraversal(archive: archive, path: "", symlink: "", linkTarget: "") }
            default: break
            }
        }
        return nil
    }

    /// Symlinks on disk by resolved path: the member that made each, and its target.
    private typealias Links = [[UInt8]: (path: String, target: String)]

    /// Links the check follows at most (renames copy them under new names).
    static let maxTrackedLinks = 2_000_000

    /// A name's components, split at `/` bytes (never at grapheme boundaries, which a combining
    /// mark after a `/` would move).
    static func components(_ name: String) -> [ArraySlice<UInt8>] {
        Array(name.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
    }

    /// Whether the name has a `..` component.
    static func climbs(_ name: String) -> Bool {
        components(name).contains { $0.elementsEqual("..".utf8) }
    }

    /// Whether the name's last component is `.` (and the name more than `.` itself).
    static func endsInDot(_ name: String) -> Bool {
        let parts = components(name)
        return parts.count > 1 && parts.last?.elementsEqual(".".utf8) == true
    }

    /// The link on the way to `path` (an ancestor of it), if any.
    private static func linkOnTheWay(to path: [UInt8], in links: Links) -> (path: String, target: String)? {
        var end = path.count
        while let slash = path[..<end].lastIndex(of: UInt8(ascii: "/")) {
            end = slash
            if let link = links[Array(path[..<end])] { return link }
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

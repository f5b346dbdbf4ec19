import ArchiveFormat
import Testing

/// A chain whose later archive writes through a symlink an earlier archive left (a crafted
/// incremental aiming at `~/.ssh` or another user's files) is found before anything unpacks.
@Suite struct AttackChainSymlinkTests {
    static func entry(_ path: String, _ kind: TarEntry.Kind, link: String = "", children: [String]? = nil) -> TarEntry {
        TarEntry(path: path, kind: kind, mode: kind == .directory ? 0o755 : 0o644, size: 0, mtime: 0, linkTarget: link, children: children)
    }

    @Test func aLaterMemberBelowAnEarlierSymlinkIsFound() {
        let full = ArchiveManifest(entries: [Self.entry("src", .directory, children: ["x"]), Self.entry("src/x", .symlink, link: "/root")])
        let crafted = ArchiveManifest(entries: [Self.entry("src", .directory, children: ["x"]), Self.entry("src/x/.ssh/authorized_keys", .file)])
        let found = BackupTree.symlinkTraversal(in: [full, crafted])
        #expect(found == SymlinkTraversal(archive: 1, path: "src/x/.ssh/authorized_keys", symlink: "src/x", linkTarget: "/root"))
        // Deeper in a chain too.
        let middle = ArchiveManifest(entries: [Self.entry("src", .directory, children: ["x"])])
        #expect(BackupTree.symlinkTraversal(in: [full, middle, crafted])?.archive == 2)
    }

    @Test func honestChainsPass() {
        let full = ArchiveManifest(entries: [Self.entry("src", .directory, children: ["x"]), Self.entry("src/x", .symlink, link: "/root")])
        // The symlink became a directory: the archive has the directory, tar replaces the link.
        let replaced = ArchiveManifest(entries: [
            Self.entry("src", .directory, children: ["x"]), Self.entry("src/x", .directory, children: ["f"]),
            Self.entry("src/x/f", .file),
        ])
        #expect(BackupTree.symlinkTraversal(in: [full, replaced]) == nil)
        // The symlink was deleted (its directory no longer names it), then a directory made there.
        let deleted = ArchiveManifest(entries: [Self.entry("src", .directory, children: [])])
        let remade = ArchiveManifest(entries: [
            Self.entry("src", .directory, children: ["x"]), Self.entry("src/x", .directory, children: ["f"]),
            Self.entry("src/x/f", .file),
        ])
        #expect(BackupTree.symlinkTraversal(in: [full, deleted, remade]) == nil)
        // A directory renamed between backups (GNU tar's R and T records), and a link that moved with it and was replaced.
        let renamed = ArchiveManifest(entries: [
            Self.entry("src", .directory, children: ["y"]).with(renames: ["Rsrc/x", "Tsrc/y"]), Self.entry("src/y", .directory, children: ["f"]),
            Self.entry("src/y/f", .file),
        ])
        #expect(BackupTree.symlinkTraversal(in: [full, renamed]) == nil)
        // A backup path given as `/srv/.`: tar names the member `srv/.`, harmless where `srv` is no link.
        let dotted = ArchiveManifest(entries: [Self.entry("srv/.", .directory, children: ["f"]), Self.entry("srv/./f", .file)])
        #expect(BackupTree.symlinkTraversal(in: [dotted, dotted]) == nil)
        // Two directories that swapped names: a cycle through a temporary directory (`X`, then empty names).
        let pair = ArchiveManifest(entries: [
            Self.entry("t", .directory, children: ["a", "b"]), Self.entry("t/a", .directory, children: ["l"]), Self.entry("t/a/l", .symlink, link: "/root"),
            Self.entry("t/b", .directory, children: []),
        ])
        let swapped = ArchiveManifest(entries: [
            Self.entry("t", .directory, children: ["a", "b"]).with(renames: ["Xt", "Rt/a", "T", "Rt/b", "Tt/a", "R", "Tt/b"]),
            Self.entry("t/a", .directory, children: []), Self.entry("t/b", .directory, children: ["l"]),
        ])
        #expect(BackupTree.symlinkTraversal(in: [pair, swapped]) == nil)
        // The link went along with its directory: a member below it under the new name is found.
        let below = ArchiveManifest(entries: swapped.entries + [Self.entry("t/b/l/k", .file)])
        #expect(BackupTree.symlinkTraversal(in: [pair, below])?.symlink == "t/a/l")
    }

    /// The attacker's second review: ways through links made in the same archive, hard-link
    /// targets and the rename records `--listed-incremental` acts on.
    @Test func linksMadeOnTheWayHardLinkTargetsAndRenameRecordsAreFollowed() {
        let full = ArchiveManifest(entries: [Self.entry("x", .symlink, link: "../..")])
        // A harmless-looking relative link, made at once in the next archive, that leads through the earlier one.
        let chained = ArchiveManifest(entries: [Self.entry("y", .symlink, link: "x/.ssh"), Self.entry("y/authorized_keys", .file)])
        #expect(BackupTree.symlinkTraversal(in: [full, chained]) == SymlinkTraversal(archive: 1, path: "y/authorized_keys", symlink: "y", linkTarget: "x/.ssh"))
        // Within one archive too (an honest archive never holds a member below its own link).
        let single = ArchiveManifest(entries: [Self.entry("src/x", .symlink, link: "/root"), Self.entry("src/x/f", .file)])
        #expect(BackupTree.symlinkTraversal(in: [single])?.symlink == "src/x")
        // A hard link whose target lies through a link.
        let hard = ArchiveManifest(entries: [TarEntry(path: "h", kind: .hardlink, mode: 0o600, size: 0, mtime: 0, linkTarget: "x/.ssh/authorized_keys")])
        #expect(BackupTree.symlinkTraversal(in: [full, hard])?.path == "x/.ssh/authorized_keys")
        // Renames: into a link's way, from it, a temporary directory outside or through a link.
        for records in [["Rd/k", "Tx/.ssh/authorized_keys"], ["Rx/.ssh", "Td"], ["X/tmp/evil"], ["Xa/../../b"], ["Xx"], ["R..", "Td"]] {
            let crafted = ArchiveManifest(entries: [Self.entry("d", .directory, children: []).with(renames: records)])
            #expect(BackupTree.symlinkTraversal(in: [full, crafted])?.archive == 1, "\(records)")
        }
        // A hard link whose target climbs with `..` (tar defers it and makes it through whatever is there).
        let climbing = ArchiveManifest(entries: [TarEntry(path: "h", kind: .hardlink, mode: 0o600, size: 0, mtime: 0, linkTarget: "a/../x/k")])
        #expect(BackupTree.symlinkTraversal(in: [full, climbing])?.symlink == "")
        // A combining mark after the flag does not hide a rename (the flag is the record's first byte).
        let marked = ArchiveManifest(entries: [Self.entry("\u{301}x", .symlink, link: "/home/victim/.ssh")])
        let hidden = ArchiveManifest(entries: [
            Self.entry("d", .directory, children: []).with(renames: ["R\u{301}x", "Ty"]), Self.entry("y/authorized_keys", .file),
        ])
        #expect(BackupTree.symlinkTraversal(in: [marked, hidden])?.symlink == "\u{301}x")
        // Records that were not kept: nothing can be said, so the chain is refused.
        let unknown = ArchiveManifest(entries: [Self.entry("d", .directory).with(renames: [TarStreamReader.unknownRenames])])
        #expect(BackupTree.symlinkTraversal(in: [full, unknown]) == SymlinkTraversal(archive: 1, path: "", symlink: "", linkTarget: ""))
        // ... but one archive alone is not replayed with --listed-incremental.
        #expect(BackupTree.symlinkTraversal(in: [unknown]) == nil)
        // A name ending in `.`: tar resolves it through the link (a dump directory there would purge the link's target).
        for path in ["x/.", "x/./."] {
            #expect(BackupTree.symlinkTraversal(in: [full, ArchiveManifest(entries: [Self.entry(path, .directory, children: [])])])?.archive == 1, "\(path)")
        }
        // `..` found by bytes: a mark that joins the `/` before it in one grapheme does not hide it.
        let joined = ArchiveManifest(entries: [Self.entry("d", .directory).with(renames: ["Ra\u{600}/../x", "Td"])])
        #expect(BackupTree.symlinkTraversal(in: [full, joined])?.archive == 1)
        // An empty name outside a cycle of renames (no `X` before it).
        let empty = ArchiveManifest(entries: [Self.entry("d", .directory).with(renames: ["Rd", "T"])])
        #expect(BackupTree.symlinkTraversal(in: [full, empty])?.archive == 1)
        // A renamed directory takes its links along: what follows under the new name is checked.
        let inside = ArchiveManifest(entries: [Self.entry("d", .directory, children: ["l"]), Self.entry("d/l", .symlink, link: "/root")])
        let moved = ArchiveManifest(entries: [Self.entry("e", .directory, children: ["l"]).with(renames: ["Rd", "Te"]), Self.entry("e/l/k", .file)])
        #expect(BackupTree.symlinkTraversal(in: [inside, moved])?.symlink == "d/l")
    }

    /// What tar leaves on disk decides, not what an honest archive would say (the attacker's review).
    @Test func craftedWaysAroundTheCheckAreFound() {
        let full = ArchiveManifest(entries: [Self.entry("src", .directory, children: ["x"]), Self.entry("src/x", .symlink, link: "/root")])
        func traverses(_ entries: [TarEntry], after first: ArchiveManifest = full) -> Bool {
            BackupTree.symlinkTraversal(in: [first, ArchiveManifest(entries: entries)]) != nil
        }
        // No entry for the parent: nothing deletes the link.
        #expect(traverses([Self.entry("src/x/.ssh/authorized_keys", .file)]))
        // The parent comes back as a file: tar cannot replace a directory holding the link.
        #expect(traverses([Self.entry("src", .file), Self.entry("src/x/k", .file)]))
        // The directory that replaces the link comes after the member.
        #expect(traverses([Self.entry("src", .directory, children: ["x"]), Self.entry("src/x/k", .file), Self.entry("src/x", .directory)]))
        // Spellings tar resolves to the same path.
        for path in ["./src/x/k", "src//x/k", "src/./x/k", "/src/x/k"] { #expect(traverses([Self.entry(path, .file)]), "\(path)") }
        // A hard link to a symlink is a symlink.
        let linked = ArchiveManifest(entries: [Self.entry("s", .symlink, link: "/root"), TarEntry(path: "h", kind: .hardlink, mode: 0o777, size: 0, mtime: 0, linkTarget: "s")])
        #expect(traverses([Self.entry("h/.ssh/k", .file)], after: linked))
        // A name that was not UTF-8 never counts as replacing a link.
        let lossy = ArchiveManifest(entries: [Self.entry("a\u{FFFD}", .symlink, link: "/root")])
        #expect(traverses([Self.entry("a\u{FFFD}", .directory), Self.entry("a\u{FFFD}/k", .file)], after: lossy))
    }
}

extension TarEntry {
    func with(renames: [String]) -> TarEntry {
        var entry = self
        entry.renames = renames
        return entry
    }
}

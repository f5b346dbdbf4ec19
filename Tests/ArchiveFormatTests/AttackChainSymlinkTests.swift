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
        // Within one archive GNU tar defers symlinks itself; a full backup alone is not checked.
        let single = ArchiveManifest(entries: [Self.entry("src/x", .symlink, link: "/root"), Self.entry("src/x/f", .file)])
        #expect(BackupTree.symlinkTraversal(in: [single]) == nil)
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

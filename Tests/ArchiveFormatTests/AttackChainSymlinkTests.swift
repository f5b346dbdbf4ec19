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
}

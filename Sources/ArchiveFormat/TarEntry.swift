/// One member of a tar archive, as the manifest records it.
package struct TarEntry: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case file, directory, symlink, hardlink, other
    }

    package var path: String
    package var kind: Kind
    package var mode: UInt32
    package var size: Int64
    /// Seconds since 1970.
    package var mtime: Int64
    package var linkTarget: String
    /// Lowercase hex SHA-256 of a regular file's content; nil for other kinds and sparse files.
    package var sha256: String?
    /// For a GNU incremental dump directory (`D`): the names the directory held when the archive
    /// was made, so a later archive of a chain says what was deleted. Nil when unknown.
    package var children: [String]?
    /// For a dump directory: the records GNU tar acts on when it extracts the directory with
    /// `--listed-incremental`, in order, each its flag and a name: `R` a directory's old name and
    /// `T` its new one (a rename), `X` a temporary directory for a cycle of renames. Nil: none.
    package var renames: [String]?

    package init(
        path: String, kind: Kind, mode: UInt32, size: Int64, mtime: Int64, linkTarget: String = "", sha256: String? = nil,
        children: [String]? = nil, renames: [String]? = nil
    ) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.linkTarget = linkTarget
        self.sha256 = sha256
        self.children = children
        self.renames = renames
    }

    /// Whether the content or metadata differ (what a diff of two backups reports as changed).
    package func differs(from other: TarEntry) -> Bool {
        kind != other.kind || size != other.size || mode != other.mode || linkTarget != other.linkTarget
            || (sha256 != nil && other.sha256 != nil ? sha256 != other.sha256 : mtime != other.mtime)
    }
}

/// Compares a restored tree, as the server lists it, with what a backup's file list says a restore
/// leaves (`BackupTree`): kind, size, permission bits, mtime of regular files, link targets, and
/// the content of every regular file whose SHA-256 the list holds.
///
/// Fed in two passes, as the server streams them: every restored entry (`see`), then the
/// SHA-256 of every restored regular file (`seeContent`); `finish` then counts what never showed.
package struct RestoredTreeCheck: Sendable {
    /// One restored entry, as `find -printf '%y %s %m %T@ %l %P'` describes it.
    package struct Found: Sendable, Equatable {
        /// `find`'s `%y`: f, d, l, p, s, c, b.
        package var type: Character
        package var size: Int64
        package var mode: UInt32
        package var mtime: Int64
        package var linkTarget: String
        package var path: String

        package init(type: Character, size: Int64, mode: UInt32, mtime: Int64, linkTarget: String, path: String) {
            self.type = type
            self.size = size
            self.mode = mode
            self.mtime = mtime
            self.linkTarget = linkTarget
            self.path = path
        }
    }

    package struct Difference: Sendable, Equatable {
        package var path: String
        package var problem: String
    }

    private var expected: [String: TarEntry]
    /// Directories above the listed paths: tar creates them, the list need not name them.
    private let ancestors: Set<String>
    private var awaitingContent: [String: String] = [:]
    package private(set) var expectedCount: Int
    package private(set) var matched = 0
    package private(set) var missing = 0
    package private(set) var changed = 0
    package private(set) var extra = 0
    package private(set) var hashed = 0
    /// The first `differenceLimit` differences, in the order found.
    package private(set) var differences: [Difference] = []
    let differenceLimit: Int

    package init(expected tree: BackupTree, differenceLimit: Int = 50) {
        var byPath: [String: TarEntry] = [:]
        var ancestors = Set<String>()
        for entry in tree.entries {
            byPath[entry.path] = entry
            var path = Substring(entry.path)
            while let slash = path.lastIndex(of: "/") {
                path = path[..<slash]
                guard !path.isEmpty, ancestors.insert(String(path)).inserted else { break }
            }
        }
        expected = byPath
        expectedCount = byPath.count
        self.ancestors = ancestors
        self.differenceLimit = differenceLimit
    }

    package mutating func see(_ found: Found) {
        guard let entry = expected.removeValue(forKey: found.path) else {
            if found.type == "d", ancestors.contains(found.path) { return }
            extra += 1
            differ(found.path, "restored, but not in the backup's file list")
            return
        }
        if let problem = Self.problem(entry, found) {
            changed += 1
            differ(found.path, problem)
        } else if entry.kind == .file, let sha256 = entry.sha256 {
            awaitingContent[found.path] = sha256
        } else {
            matched += 1
        }
    }

    package mutating func seeContent(path: String, sha256: String) {
        guard let want = awaitingContent.removeValue(forKey: path) else { return }
        hashed += 1
        if want == sha256 {
            matched += 1
        } else {
            changed += 1
            differ(path, "content differs (SHA-256 \(sha256.prefix(12))…, the file list says \(want.prefix(12))…)")
        }
    }

    /// Counts what the restore never produced, and content that could not be read back.
    package mutating func finish() {
        for path in expected.keys.sorted() {
            missing += 1
            differ(path, "in the backup's file list, but not restored")
        }
        expected = [:]
        for path in awaitingContent.keys.sorted() {
            changed += 1
            differ(path, "restored, but its content could not be read back to compare")
        }
        awaitingContent = [:]
    }

    package var passed: Bool { missing == 0 && changed == 0 && extra == 0 }

    private mutating func differ(_ path: String, _ problem: String) {
        if differences.count < differenceLimit { differences.append(Difference(path: path, problem: problem)) }
    }

    static func problem(_ entry: TarEntry, _ found: Found) -> String? {
        let kind: TarEntry.Kind
        switch found.type {
        case "f": kind = entry.kind == .hardlink ? .hardlink : .file
        case "d": kind = .directory
        case "l": kind = .symlink
        default: kind = .other
        }
        guard kind == entry.kind else { return "restored as \(kind.rawValue), the file list says \(entry.kind.rawValue)" }
        if kind == .symlink {
            return found.linkTarget == entry.linkTarget ? nil : "link points to \(found.linkTarget), the file list says \(entry.linkTarget)"
        }
        if kind == .file || kind == .directory, found.mode & 0o777 != entry.mode & 0o777 {
            return "mode \(String(found.mode & 0o777, radix: 8)), the file list says \(String(entry.mode & 0o777, radix: 8))"
        }
        guard kind == .file else { return nil }
        if found.size != entry.size { return "size \(found.size), the file list says \(entry.size)" }
        if found.mtime != entry.mtime { return "modified at \(found.mtime), the file list says \(entry.mtime)" }
        return nil
    }
}

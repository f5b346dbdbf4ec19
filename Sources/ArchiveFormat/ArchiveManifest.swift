import CompressNIO
import NIOCore

/// What an archive holds, member by member: stored gzip-compressed beside the archive, read back
/// to browse a backup, restore single files and compare two backups.
///
/// Encoding: one line per entry, `kind TAB mode(octal) TAB size TAB mtime TAB sha256|- TAB path
/// TAB link TAB children TAB renames`, with `\`, TAB and line breaks in paths escaped; the format
/// line `mm-manifest 3` first. `children` (a dump directory's names, each after a `/`; empty when
/// unknown) is new in format 2, and `renames` (a dump directory's rename records, TAB-separated)
/// in format 3; manifests of formats 1 and 2 still read, with `recordsRenames` false.
package struct ArchiveManifest: Sendable, Equatable {
    static let formatLine = "mm-manifest 3"
    static let formatLineWithoutRenames = "mm-manifest 2"
    static let formatLineWithoutChildren = "mm-manifest 1"
    package private(set) var entries: [TarEntry]
    /// Whether the dump directories' rename records are known: false for a manifest written
    /// before they were kept, which says nothing of them either way.
    package let recordsRenames: Bool

    package init(entries: [TarEntry] = [], recordsRenames: Bool = true) {
        self.entries = entries
        self.recordsRenames = recordsRenames
    }

    package mutating func append(_ entry: TarEntry) {
        entries.append(entry)
    }

    /// The gzip-compressed encoding.
    package func encoded() throws -> [UInt8] {
        var text = Self.formatLine + "\n"
        text.reserveCapacity(entries.count * 96)
        for entry in entries {
            let sha = entry.sha256 ?? "-"
            text += "\(entry.kind.rawValue)\t\(String(entry.mode, radix: 8))\t\(entry.size)\t\(entry.mtime)\t\(sha)\t"
            text += Self.escape(entry.path) + "\t" + Self.escape(entry.linkTarget) + "\t"
            if let children = entry.children { text += children.isEmpty ? "/" : children.map { "/" + Self.escape($0) }.joined() }
            text += "\t" + (entry.renames ?? []).map(Self.escape).joined(separator: "\t") + "\n"
        }
        var buffer = ByteBuffer(string: text)
        let compressed = try buffer.compress(with: .gzip())
        return Array(buffer: compressed)
    }

    package init(decoding bytes: [UInt8]) throws {
        var buffer = ByteBuffer(bytes: bytes)
        // Bounded: a manifest of 20M members stays far below; a gzip bomb does not get further.
        guard let plain = try? buffer.decompress(with: .gzip(), maxSize: 4 << 30) else {
            throw ArchiveFormatError(.malformedTar, "the manifest is not gzip data")
        }
        (self.entries, self.recordsRenames) = try plain.withUnsafeReadableBytes { bytes throws(ArchiveFormatError) -> ([TarEntry], Bool) in
            // Line by line, without an array of them; no more members, nor names, than a tar may hold.
            var reader: ManifestLineReader?
            var entries: [TarEntry] = []
            var childNames = 0
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                defer { start = end + 1 }
                guard end > start else { continue }
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                guard let lineReader = reader else {
                    let formats = [Self.formatLineWithoutChildren, Self.formatLineWithoutRenames, Self.formatLine]
                    guard let format = formats.firstIndex(where: { line.elementsEqual($0.utf8) }) else {
                        throw ArchiveFormatError(.unsupported, "the manifest is of an unknown format")
                    }
                    reader = ManifestLineReader(fieldCount: 7 + format)
                    continue
                }
                guard entries.count < TarStreamReader.maxEntries else {
                    throw ArchiveFormatError(.malformedTar, "the manifest lists more than \(TarStreamReader.maxEntries) members")
                }
                let entry = try lineReader.entry(line, number: entries.count + 2)
                childNames += entry.children?.count ?? 0
                guard childNames <= TarStreamReader.maxEntries else {
                    throw ArchiveFormatError(.malformedTar, "the manifest's dump directories name more than \(TarStreamReader.maxEntries) members")
                }
                entries.append(entry)
            }
            guard let reader else { throw ArchiveFormatError(.unsupported, "the manifest is of an unknown format") }
            return (entries, reader.fieldCount == 9)
        }
    }

    /// Entries whose path starts with `prefix`, in path order, at most `limit`, after the path `after`.
    package func listing(prefix: String, after: String? = nil, limit: Int) -> [TarEntry] {
        var result: [TarEntry] = []
        for entry in entries.sorted(by: { $0.path < $1.path }) where entry.path.hasPrefix(prefix) {
            if let after, entry.path <= after { continue }
            result.append(entry)
            if result.count == limit { break }
        }
        return result
    }

    /// The last entry for each path (a path that appears again in an archive replaces itself).
    package var byPath: [String: TarEntry] {
        Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
    }

    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else { return text }
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static func unescape(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}

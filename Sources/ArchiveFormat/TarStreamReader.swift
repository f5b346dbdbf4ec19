import Crypto

/// Reads a tar stream as it arrives and reports each member with its metadata and, for regular
/// files, the SHA-256 of its content: the archive's manifest, built without a temporary file.
/// Understands POSIX ustar, pax extended headers and GNU long names and dump directories; every
/// header's checksum is checked. What GNU tar would read another way is refused, since the
/// chain check trusts the manifest to name what tar makes.
package struct TarStreamReader: Sendable {
    /// Bounds the long-name and pax data kept in memory.
    static let metadataLimit = 1 << 20
    /// A dump directory's data kept to read its names and rename records; a larger one (a
    /// directory of about a million names) is listed as unknown, and its chain is not restored.
    static let dumpDirectoryKeepLimit = 16 << 20
    /// Longer names are refused (Linux's PATH_MAX is 4096, and tar could not make them), so a
    /// crafted archive cannot grow the manifest by megabytes per entry.
    static let maxPathBytes = 4095
    /// Rename records an archive's manifest keeps (an honest one: the directories renamed since
    /// the last); past them its records are unknown.
    package static let maxRenames = 10_000
    /// Member types this reader does not read as GNU tar extracts them: a global pax header
    /// (applies to every later member), Solaris extended headers, volume labels, multi-volume
    /// continuations, old GNU long names and sparse members (our `tar --format=gnu` without
    /// `--sparse` writes none). An archive holding one is refused.
    static let refusedTypes: Set<UInt8> = Set("gXVMNS".utf8)
    /// Members a manifest holds at most; beyond, the archive is refused as malformed.
    package static let maxEntries = 20_000_000

    private enum Member: Sendable {
        case content(TarEntry, hasher: SHA256?)
        case metadata(UInt8, [UInt8])
        /// A GNU dump directory: its data lists the names the directory held.
        case dumpDirectory(TarEntry, [UInt8]?)
        case skipped
    }

    private var header: [UInt8] = []
    private var member: Member?
    private var remaining: Int64 = 0
    private var padding = 0
    /// GNU long names, as bytes up to their NUL.
    private var longName: [UInt8]?
    private var longLink: [UInt8]?
    private var pax: [String: [UInt8]] = [:]
    private var zeroBlocks = 0
    package private(set) var entries = 0
    /// Names the dump directories so far hold: bounded like members, since each costs memory
    /// and a small compressed archive could otherwise name billions.
    private var childNames = 0
    /// Bytes of dump-directory data so far.
    private var dumpDirectoryBytes: Int64 = 0
    /// Rename records so far.
    private var renameRecords = 0
    /// Dump-directory data an archive may hold in all (an honest one: about the length of every
    /// name in the tree, once per archive).
    package static let maxDumpDirectoryBytes: Int64 = 1 << 30

    /// Names dump directories may hold in all, and bytes of their data (the defaults: as many
    /// names as members, and `maxDumpDirectoryBytes`); smaller in tests.
    let nameLimit: Int
    let dumpDirectoryByteLimit: Int64

    package init(nameLimit: Int = Self.maxEntries, dumpDirectoryByteLimit: Int64 = Self.maxDumpDirectoryBytes) {
        self.nameLimit = nameLimit
        self.dumpDirectoryByteLimit = dumpDirectoryByteLimit
    }

    /// Whether the end-of-archive marker has been read.
    package var isComplete: Bool { zeroBlocks >= 2 }

    package mutating func consume(_ bytes: UnsafeRawBufferPointer, onEntry: (TarEntry) throws -> Void) throws {
        try consume(bytes, onEntry: onEntry, onContent: { _, _ in })
    }

    /// Like `consume(_:onEntry:)`, and hands each regular file's content to `onContent` as it
    /// streams past (the entry has no SHA-256 yet; `onEntry` follows with it).
    package mutating func consume(
        _ bytes: UnsafeRawBufferPointer, onEntry: (TarEntry) throws -> Void,
        onContent: (TarEntry, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var offset = 0
        while offset < bytes.count {
            if remaining > 0 {
                let take = Int(min(remaining, Int64(bytes.count - offset)))
                try feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]), onContent)
                remaining -= Int64(take)
                offset += take
                if remaining == 0 { try endMember(onEntry) }
            } else if padding > 0 {
                let take = min(padding, bytes.count - offset)
                padding -= take
                offset += take
            } else if isComplete {
                return  // GNU tar pads the end to its record size with zeros
            } else {
                let take = min(TarHeader.blockSize - header.count, bytes.count - offset)
                header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
                offset += take
                if header.count == TarHeader.blockSize {
                    let block = TarHeader(block: header)
                    header.removeAll(keepingCapacity: true)
                    try begin(block, onEntry)
                }
            }
        }
    }

    /// Throws when the stream stopped inside a member or before the end-of-archive marker.
    package func finish() throws {
        guard remaining == 0, header.isEmpty, zeroBlocks >= 1 else {
            throw ArchiveFormatError(.malformedTar, "the tar stream ends early (after \(entries) entries)")
        }
    }

    private mutating func begin(_ block: TarHeader, _ onEntry: (TarEntry) throws -> Void) throws {
        if block.isZero {
            zeroBlocks += 1
            return
        }
        guard zeroBlocks == 0 else { throw ArchiveFormatError(.malformedTar, "a tar header follows the end-of-archive marker") }
        guard block.checksumMatches, let size = block.size, size >= 0 else {
            throw ArchiveFormatError(.malformedTar, "tar header \(entries + 1) is corrupt (checksum or size)")
        }
        let flag = block.typeFlag
        guard !Self.refusedTypes.contains(flag) else {
            throw ArchiveFormatError(.malformedTar, "tar member \(entries + 1) is of type '\(Character(Unicode.Scalar(flag)))', which is not read here")
        }
        if let text = paxText("size"), !(text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } && (1...18).contains(text.utf8.count)) {
            throw ArchiveFormatError(.malformedTar, "tar member \(entries + 1) has a pax size that is not a plain number")
        }
        let dataSize = paxText("size").flatMap { Int64($0) } ?? size
        guard dataSize >= 0 else { throw ArchiveFormatError(.malformedTar, "tar member \(entries + 1) has a negative size") }
        guard entries < Self.maxEntries else { throw ArchiveFormatError(.malformedTar, "the archive has more than \(Self.maxEntries) members") }
        // Links, devices, directories and FIFOs carry no data: tar would read any as headers.
        guard dataSize == 0 || !(UInt8(ascii: "1")...UInt8(ascii: "6")).contains(flag) else {
            throw ArchiveFormatError(.malformedTar, "tar member \(entries + 1) is a link, device or directory with data")
        }
        remaining = dataSize
        if flag == UInt8(ascii: "L") || flag == UInt8(ascii: "K") || flag == UInt8(ascii: "x") {
            guard size <= Self.metadataLimit else { throw ArchiveFormatError(.malformedTar, "a tar extended header of \(size) bytes is too large") }
            remaining = size
            member = .metadata(flag, [])
        } else {
            // The dump directory of a POSIX-format incremental is a pax record of a plain directory.
            let paxDumpDirectory = pax["GNU.dumpdir"]
            guard flag != UInt8(ascii: "D") || paxDumpDirectory == nil else {
                throw ArchiveFormatError(.malformedTar, "tar member \(entries + 1) has two dump directories")
            }
            let entry = try makeEntry(block, size: dataSize)
            let hashed = entry.kind == .file && flag != UInt8(ascii: "S")
            if flag == UInt8(ascii: "D") || paxDumpDirectory != nil {
                guard entry.kind == .directory else {
                    throw ArchiveFormatError(.malformedTar, "tar member \(entries + 1) carries a dump directory but is not a directory")
                }
                let bytes = flag == UInt8(ascii: "D") ? dataSize : Int64(paxDumpDirectory?.count ?? 0)
                guard bytes <= dumpDirectoryByteLimit - dumpDirectoryBytes else {
                    throw ArchiveFormatError(.malformedTar, "the archive's dump directories hold more than \(dumpDirectoryByteLimit) bytes of names")
                }
                dumpDirectoryBytes += bytes
                if flag == UInt8(ascii: "D") {
                    member = .dumpDirectory(entry, dataSize <= Self.dumpDirectoryKeepLimit ? [] : nil)
                } else {
                    member = .dumpDirectory(entry, paxDumpDirectory)
                }
            } else {
                member = .content(entry, hasher: hashed ? SHA256() : nil)
            }
        }
        padding = Int((TarHeader.blockSize - Int(remaining % Int64(TarHeader.blockSize))) % TarHeader.blockSize)
        if remaining == 0 { try endMember(onEntry) }
    }

    /// A pax record's value as text (only for keys whose values are text).
    private func paxText(_ key: String) -> String? {
        pax[key].map { String(decoding: $0, as: UTF8.self) }
    }

    private mutating func makeEntry(_ block: TarHeader, size: Int64) throws -> TarEntry {
        let kind: TarEntry.Kind
        switch block.typeFlag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"), UInt8(ascii: "S"): kind = .file
        case UInt8(ascii: "5"), UInt8(ascii: "D"): kind = .directory
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "1"): kind = .hardlink
        default: kind = .other
        }
        var (path, pathCut) = try Self.name(pax["path"], long: longName, or: block.path)
        if kind == .directory, path.hasSuffix("/"), path.count > 1 { path.removeLast() }
        let mtime = paxText("mtime").flatMap { Double($0) }.flatMap { Int64(exactly: $0.rounded(.down)) } ?? block.mtime
        let (link, linkCut) = try Self.name(pax["linkpath"], long: longLink, or: block.linkName)
        var entry = TarEntry(path: path, kind: kind, mode: block.mode, size: kind == .file ? size : 0, mtime: mtime, linkTarget: link)
        // A name cut short is not the one tar makes: a chain holding one is not restored.
        if pathCut || linkCut { entry.renames = [Self.unknownRenames] }
        longName = nil
        longLink = nil
        pax = [:]
        return entry
    }

    /// A member's name or link: the pax value when there is one, else the GNU long name, else the
    /// header's; cut to
    /// `maxPathBytes` (and said so) when longer. Refused when tar would read it otherwise (a NUL
    /// inside a pax value cuts it there).
    /// Measured in the archive's bytes (a name that is not UTF-8 grows when decoded).
    private static func name(_ paxValue: [UInt8]?, long: [UInt8]?, or header: String) throws(ArchiveFormatError) -> (String, cut: Bool) {
        if let paxValue, paxValue.contains(0) { throw ArchiveFormatError(.malformedTar, "a pax name holds a NUL byte") }
        // A header's own fields hold at most 256 bytes.
        guard let raw = paxValue ?? long else { return (header, false) }
        guard raw.count > maxPathBytes else { return (String(decoding: raw, as: UTF8.self), false) }
        return (String(decoding: raw.prefix(maxPathBytes), as: UTF8.self), true)
    }

    private mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onContent: (TarEntry, UnsafeRawBufferPointer) throws -> Void) throws {
        switch member {
        case .content(let entry, var hasher?):
            member = .skipped  // hand the hasher over without a copy of its state
            hasher.update(bufferPointer: bytes)
            member = .content(entry, hasher: hasher)
            try onContent(entry, bytes)
        case .dumpDirectory(let entry, var data?):
            member = .skipped
            data.append(contentsOf: bytes)
            member = .dumpDirectory(entry, data)
        case .metadata(let flag, var data):
            member = .skipped
            data.append(contentsOf: bytes)
            member = .metadata(flag, data)
        default: break
        }
    }

    private mutating func endMember(_ onEntry: (TarEntry) throws -> Void) throws {
        let finished = member
        member = nil
        switch finished {
        case .content(var entry, let hasher):
            if let hasher { entry.sha256 = hasher.finalize().map { String(byte: $0) }.joined() }
            entries += 1
            try onEntry(entry)
        case .dumpDirectory(var entry, let data):
            entry.children = data.map(Self.dumpDirectoryNames)
            // Unknown when the data was too large to keep, or past the archive's share of renames:
            // such a chain is not restored (a user renaming many directories does not fail the backup).
            var renames = data.map(Self.dumpDirectoryRenames) ?? [Self.unknownRenames]
            renameRecords += renames.count
            if renameRecords > Self.maxRenames { renames = [Self.unknownRenames] }
            if !renames.isEmpty { entry.renames = (entry.renames ?? []) + renames }
            childNames += (entry.children?.count ?? 0) + renames.count
            guard childNames <= nameLimit else {
                throw ArchiveFormatError(.malformedTar, "the archive's dump directories name more than \(nameLimit) members")
            }
            entries += 1
            try onEntry(entry)
        case .metadata(UInt8(ascii: "L"), let data): longName = Array(data.prefix { $0 != 0 })
        case .metadata(UInt8(ascii: "K"), let data): longLink = Array(data.prefix { $0 != 0 })
        case .metadata(UInt8(ascii: "x"), let data): pax = try Self.paxRecords(data)
        default: break
        }
    }

    /// GNU tar's dump-directory data: NUL-terminated records, a flag letter then a name; `Y`
    /// (in this archive), `N` (unchanged, in an earlier one) and `D` (a directory) are what the
    /// directory holds; rename records (`R`, `T`) and others are not names.
    static func dumpDirectoryNames(_ data: [UInt8]) -> [String] {
        data.split(separator: 0, omittingEmptySubsequences: true).compactMap { record in
            guard let flag = record.first, flag == UInt8(ascii: "Y") || flag == UInt8(ascii: "N") || flag == UInt8(ascii: "D"),
                record.count > 1
            else { return nil }
            return String(decoding: record.dropFirst(), as: UTF8.self)
        }
    }

    /// The rename records of a dump directory whose data was not kept, or with a name that is
    /// not UTF-8 (a manifest holds text): a chain holding one is not restored.
    package static let unknownRenames = "?"

    /// The records of GNU tar's dump-directory data that are not names: `R`/`T` renames and
    /// `X` temporary directories, each kept as its flag byte and name.
    static func dumpDirectoryRenames(_ data: [UInt8]) -> [String] {
        data.split(separator: 0, omittingEmptySubsequences: true).compactMap { record in
            guard let flag = record.first, flag == UInt8(ascii: "R") || flag == UInt8(ascii: "T") || flag == UInt8(ascii: "X") else { return nil }
            guard let name = String(validating: record.dropFirst(), as: UTF8.self) else { return unknownRenames }
            return String(Character(Unicode.Scalar(flag))) + name
        }
    }

    /// `"<length> <key>=<value>\n"` records, read strictly: a record GNU tar would read another
    /// way (blanks around the length, no newline at its end, no `=`) refuses the archive.
    static func paxRecords(_ data: [UInt8]) throws(ArchiveFormatError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var index = 0
        while index < data.count {
            var digits = index
            while digits < data.count, digits - index < 20, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[digits]) { digits += 1 }
            guard digits > index, digits < data.count, data[digits] == UInt8(ascii: " "),
                let length = Int(String(decoding: data[index..<digits], as: UTF8.self)),
                length >= digits - index + 4, length <= data.count - index, data[index + length - 1] == UInt8(ascii: "\n")
            else { throw ArchiveFormatError(.malformedTar, "a pax extended header record is malformed") }
            let record = data[(digits + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")), equals > record.startIndex,
                record[record.startIndex] != UInt8(ascii: " "), record[record.startIndex] != UInt8(ascii: "\t"),
                !record[record.startIndex..<equals].contains(0)
            else { throw ArchiveFormatError(.malformedTar, "a pax extended header record is malformed") }
            let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
            // Sparse records rename a member and move its data (tar's sparse map); ours writes none.
            guard !key.hasPrefix("GNU.sparse") else { throw ArchiveFormatError(.malformedTar, "a pax header holds sparse-file records (\(key))") }
            records[key] = Array(record[(equals + 1)...])
            index += length
        }
        return records
    }
}

extension String {
    /// Two lowercase hex digits.
    init(byte: UInt8) {
        let digits = Array("0123456789abcdef".utf8)
        self.init(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
    }
}

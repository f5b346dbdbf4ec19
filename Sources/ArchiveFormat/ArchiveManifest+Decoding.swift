/// Reads the manifest's lines as bytes: fields are cut at tabs, numbers parsed in place, and a
/// `String` made only for a path, link, digest or name (a 100,000-line manifest is read in tens of
/// milliseconds; splitting Characters took most of a second).
struct ManifestLineReader {
    let fieldCount: Int

    func entry(_ line: UnsafeRawBufferPointer, number: Int) throws(ArchiveFormatError) -> TarEntry {
        var fields: [UnsafeRawBufferPointer] = []
        fields.reserveCapacity(fieldCount)
        var start = 0
        for index in 0..<line.count where line[index] == UInt8(ascii: "\t") && fields.count < fieldCount - 1 {
            fields.append(UnsafeRawBufferPointer(rebasing: line[start..<index]))
            start = index + 1
        }
        fields.append(UnsafeRawBufferPointer(rebasing: line[start..<line.count]))
        guard fields.count == fieldCount, let kind = Self.kind(fields[0]), let mode = Self.number(fields[1], radix: 8).flatMap(UInt32.init(exactly:)),
            let size = Self.number(fields[2], radix: 10), size >= 0, let mtime = Self.number(fields[3], radix: 10)
        else {
            throw ArchiveFormatError(.malformedTar, "manifest line \(number) does not parse")
        }
        let sha = fields[4].count == 1 && fields[4][0] == UInt8(ascii: "-") ? nil : String(decoding: fields[4], as: UTF8.self)
        return TarEntry(
            path: Self.text(fields[5]), kind: kind, mode: mode, size: size, mtime: mtime, linkTarget: Self.text(fields[6]),
            sha256: sha, children: fieldCount >= 8 ? Self.children(fields[7]) : nil, renames: fieldCount == 9 ? Self.renames(fields[8]) : nil)
    }

    static func kind(_ field: UnsafeRawBufferPointer) -> TarEntry.Kind? {
        switch field.count {
        case 4: return field.elementsEqual("file".utf8) ? .file : nil
        case 5: return field.elementsEqual("other".utf8) ? .other : nil
        case 7: return field.elementsEqual("symlink".utf8) ? .symlink : nil
        case 8: return field.elementsEqual("hardlink".utf8) ? .hardlink : nil
        case 9: return field.elementsEqual("directory".utf8) ? .directory : nil
        default: return nil
        }
    }

    /// A whole number in `radix` (10 may have a leading `-`), nil on anything else or overflow.
    static func number(_ field: UnsafeRawBufferPointer, radix: Int64) -> Int64? {
        guard !field.isEmpty else { return nil }
        let negative = radix == 10 && field[0] == UInt8(ascii: "-")
        guard !negative || field.count > 1 else { return nil }
        var value: Int64 = 0
        for byte in field.dropFirst(negative ? 1 : 0) {
            let digit = Int64(byte) - Int64(UInt8(ascii: "0"))
            guard digit >= 0, digit < radix else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: radix)
            let (sum, carry) = shifted.addingReportingOverflow(digit)
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    /// A path, link or name: unescaped when it holds a `\`.
    static func text(_ field: UnsafeRawBufferPointer) -> String {
        let plain = String(decoding: field, as: UTF8.self)
        return field.contains(UInt8(ascii: "\\")) ? ArchiveManifest.unescape(Substring(plain)) : plain
    }

    /// TAB-separated records (escaped, so a name holds no TAB); empty → none.
    static func renames(_ field: UnsafeRawBufferPointer) -> [String]? {
        guard !field.isEmpty else { return nil }
        return field.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: true).map { text(UnsafeRawBufferPointer(rebasing: $0)) }
    }

    /// `/a/b` → ["a", "b"], `/` → [], empty → unknown (names never hold a `/`).
    static func children(_ field: UnsafeRawBufferPointer) -> [String]? {
        guard !field.isEmpty else { return nil }
        return field.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { text(UnsafeRawBufferPointer(rebasing: $0)) }
    }
}

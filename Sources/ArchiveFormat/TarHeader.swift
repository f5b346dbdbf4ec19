/// Field access to one 512-byte tar header block (POSIX ustar and GNU).
struct TarHeader {
    static let blockSize = 512
    let block: [UInt8]

    var isZero: Bool { block.allSatisfy { $0 == 0 } }
    var typeFlag: UInt8 { block[156] }
    var name: String { Self.text(block[0..<100]) }
    var linkName: String { Self.text(block[157..<257]) }
    /// POSIX ustar splits long paths into prefix and name; GNU's format uses those bytes otherwise.
    var isPOSIX: Bool { Array(block[257..<263]) == Array("ustar\0".utf8) }
    var path: String {
        let prefix = isPOSIX ? Self.text(block[345..<500]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    func number(_ range: Range<Int>) -> Int64? { Self.number(block[range]) }
    var mode: UInt32 { UInt32(truncatingIfNeeded: number(100..<108) ?? 0) & 0o7777 }
    /// The size, read only as GNU tar reads it the same way: octal digits (after blanks, before a
    /// blank or NUL) or base-256 after 0x80; a field tar reads otherwise (a leading NUL, no digits,
    /// other base-256 markers) is nil, so where a member's data ends is never in doubt.
    var size: Int64? { Self.canonicalNumber(block[124..<136], base256: true) }
    var mtime: Int64 { number(136..<148) ?? 0 }

    /// The stored checksum (octal only, as tar reads it) equals the byte sum with the checksum
    /// field read as spaces.
    var checksumMatches: Bool {
        guard let stored = Self.canonicalNumber(block[148..<156], base256: false) else { return false }
        var sum: Int64 = 0
        for (index, byte) in block.enumerated() { sum += Int64((148..<156).contains(index) ? 0x20 : byte) }
        return sum == stored
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    /// A numeric field in the one spelling every reader agrees on: blanks, octal digits, then
    /// only blanks and NULs; or (with `base256`) 0x80 and big-endian bytes.
    static func canonicalNumber(_ bytes: ArraySlice<UInt8>, base256: Bool) -> Int64? {
        guard let first = bytes.first else { return nil }
        if first == 0x80, base256 {
            var value: Int64 = 0
            for byte in bytes.dropFirst() {
                guard value < Int64.max >> 8 else { return nil }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var digits = 0
        var ended = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7") where !ended:
                guard value < Int64.max >> 3 else { return nil }
                value = value << 3 | Int64(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: " ") where digits == 0: continue
            case 0, UInt8(ascii: " "):
                guard digits > 0 else { return nil }
                ended = true
            default: return nil
            }
        }
        return digits > 0 ? value : nil
    }

    /// Octal ASCII (space or NUL terminated), or GNU's base-256 when the high bit is set.
    static func number(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard let first = bytes.first else { return nil }
        if first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x3f)
            for byte in bytes.dropFirst() {
                guard value < Int64.max >> 8 else { return nil }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value < Int64.max >> 3 else { return nil }
                value = value << 3 | Int64(byte - UInt8(ascii: "0"))
                seenDigit = true
            case UInt8(ascii: " ") where !seenDigit: continue
            case 0, UInt8(ascii: " "): return value
            default: return nil
            }
        }
        return seenDigit ? value : 0
    }
}

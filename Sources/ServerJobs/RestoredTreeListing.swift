import ArchiveFormat

/// Parses `RestoreTarget.listScript`'s output as it streams (NUL-separated fields) into a
/// `RestoredTreeCheck`. Memory stays one field, capped, whatever the tree's size.
struct RestoredTreeListing {
    private(set) var check: RestoredTreeCheck
    private var field: [UInt8] = []
    private var record: [String] = []
    private var inContent = false

    /// No path or link target is longer (Linux's PATH_MAX is 4096).
    static let fieldLimit = 64 * 1024
    static let contentMarker = "#content"

    init(check: RestoredTreeCheck) {
        self.check = check
    }

    mutating func consume(_ bytes: UnsafeRawBufferPointer) throws(ServerJobError) {
        for byte in bytes {
            guard byte == 0 else {
                guard field.count < Self.fieldLimit else {
                    throw ServerJobError(.remoteCommand, "the restored tree's listing has a field over \(Self.fieldLimit) bytes", retryable: false)
                }
                field.append(byte)
                continue
            }
            defer { field.removeAll(keepingCapacity: true) }
            if inContent { try takeContent(field) } else { try take(String(decoding: field, as: UTF8.self)) }
        }
    }

    /// The check, once the listing ended cleanly.
    mutating func finish() throws(ServerJobError) -> RestoredTreeCheck {
        guard field.isEmpty, record.isEmpty, inContent else {
            throw ServerJobError(.remoteCommand, "the restored tree's listing ended early", retryable: false)
        }
        check.finish()
        return check
    }

    /// `sha256sum -z`: 64 hex digits, a space, ' ' or '*', then the name as given ("./path").
    private mutating func takeContent(_ line: [UInt8]) throws(ServerJobError) {
        guard line.count > 68, line[64] == UInt8(ascii: " "), line[66] == UInt8(ascii: "."), line[67] == UInt8(ascii: "/") else {
            throw ServerJobError(.remoteCommand, "the restored tree's content listing is not sha256sum's", retryable: false)
        }
        check.seeContent(path: String(decoding: line[68...], as: UTF8.self), sha256: String(decoding: line[..<64], as: UTF8.self))
    }

    private mutating func take(_ text: String) throws(ServerJobError) {
        if record.isEmpty, text == Self.contentMarker {
            inContent = true
            return
        }
        record.append(text)
        guard record.count == 6 else { return }
        defer { record.removeAll(keepingCapacity: true) }
        guard let type = record[0].first, record[0].count == 1, let size = Int64(record[1]), let mode = UInt32(record[2], radix: 8),
            let mtime = Int64(record[3].prefix { $0 != "." })
        else {
            throw ServerJobError(
                .remoteCommand, "the restored tree's listing has an entry it cannot read: \(record.prefix(4).joined(separator: " "))",
                retryable: false)
        }
        check.see(RestoredTreeCheck.Found(type: type, size: size, mode: mode, mtime: mtime, linkTarget: record[4], path: record[5]))
    }
}

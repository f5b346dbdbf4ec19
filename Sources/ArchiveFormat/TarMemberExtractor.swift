import Crypto

/// Streams one regular file's content out of a tar stream: the first member at `path`, checked
/// against the SHA-256 the manifest recorded. Once the member has ended, `isDone` is true and the
/// rest of the archive need not be read.
package struct TarMemberExtractor: Sendable {
    package let path: String
    package let expectedSHA256: String?
    private var reader = TarStreamReader()
    private var hasher = SHA256()
    package private(set) var isDone = false

    package init(path: String, expectedSHA256: String?) {
        self.path = path
        self.expectedSHA256 = expectedSHA256
    }

    /// Feeds tar bytes; hands the member's content to `emit`. Throws when the member's content
    /// does not match its SHA-256, or is not a regular file.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !isDone else { return }
        var hasher = self.hasher
        var done = false
        let wanted = path
        let expected = expectedSHA256
        defer {
            self.hasher = hasher
            if done { isDone = true }
        }
        try reader.consume(
            bytes,
            onEntry: { entry in
                guard !done, entry.path == wanted else { return }
                guard entry.kind == .file else { throw ArchiveFormatError(.malformedTar, "\(wanted) is not a regular file in the archive") }
                let digest = hasher.finalize().map { String(byte: $0) }.joined()
                if let expected, digest != expected {
                    throw ArchiveFormatError(.tampered, "\(wanted) does not match its SHA-256 in the manifest (\(digest.prefix(12))…, expected \(expected.prefix(12))…)")
                }
                done = true
            },
            onContent: { entry, chunk in
                guard !done, entry.path == wanted else { return }
                hasher.update(bufferPointer: chunk)
                try emit(chunk)
            })
    }

    /// Throws when the archive ended without the member.
    package func finish() throws {
        guard isDone else { throw ArchiveFormatError(.malformedTar, "\(path) is not in the archive") }
    }
}

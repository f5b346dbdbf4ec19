package import Crypto

/// Reads a stored archive once, as it streams back from storage: hashes the stored bytes,
/// decrypts them when the archive is sealed, decompresses, and parses the tar inside into a
/// manifest. Any tampering, truncation or corruption throws. Memory stays at a chunk or two.
package struct ArchiveInspection: Sendable {
    /// SHA-256 of the bytes as stored (what the backup row records).
    package var sha256: String
    package var storedBytes: Int64
    package var manifest: ArchiveManifest
}

package struct ArchiveInspector<Decompressor: StreamDecompressor> {
    private var hasher = SHA256()
    private var storedBytes: Int64 = 0
    private var opener: ArchiveOpener?
    private var decompressor: Decompressor
    private var reader = TarStreamReader()
    private var manifest = ArchiveManifest()

    /// `dataKey` opens a sealed archive; nil reads a plain one.
    package init(decompressor: Decompressor, dataKey: SymmetricKey?) throws {
        self.decompressor = decompressor
        opener = try dataKey.map { try ArchiveOpener(dataKey: $0) }
    }

    package mutating func consume(_ stored: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: stored)
        storedBytes += Int64(stored.count)
        if var opener {
            self.opener = nil
            try opener.open(stored) { plain in try decompress(plain) }
            self.opener = opener
        } else {
            try decompress(stored)
        }
    }

    package mutating func finish() throws -> ArchiveInspection {
        if var opener {
            self.opener = nil
            try opener.finish { plain in try decompress(plain) }
        }
        var decompressor = self.decompressor
        var reader = self.reader
        var manifest = self.manifest
        try decompressor.finish { tar in try reader.consume(tar) { manifest.append($0) } }
        try reader.finish()
        return ArchiveInspection(sha256: hasher.finalize().map { String(byte: $0) }.joined(), storedBytes: storedBytes, manifest: manifest)
    }

    private mutating func decompress(_ compressed: UnsafeRawBufferPointer) throws {
        var reader = self.reader
        var manifest = self.manifest
        self.manifest = ArchiveManifest()
        try decompressor.push(compressed) { tar in try reader.consume(tar) { manifest.append($0) } }
        self.reader = reader
        self.manifest = manifest
    }
}

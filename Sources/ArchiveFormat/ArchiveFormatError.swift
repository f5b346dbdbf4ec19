/// Why a sealed archive could not be opened. The message names what happened and where, never
/// key material.
package struct ArchiveFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        /// The bytes do not start with the sealed-archive header (e.g. a plain `.tar.gz`).
        case notSealed = "not_sealed"
        /// A header of a version or chunk size this build does not read.
        case unsupported
        /// A chunk failed authentication: changed bytes, a chunk dropped or moved, or the wrong key.
        case tampered
        /// The stream ended before its final chunk.
        case truncated
        /// A data key that is not 256 bits.
        case badKey = "bad_key"
        /// A tar stream that does not parse (bad header checksum, size, or an early end).
        case malformedTar = "malformed_tar"
    }

    package let kind: Kind
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}

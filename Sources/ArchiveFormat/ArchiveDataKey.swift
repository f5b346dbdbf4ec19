import Crypto

/// One archive's own AES-256 key. It is stored only wrapped (AES-256-GCM) under a key-encryption
/// key derived from `ENCRYPTION_KEY`, bound to the archive's id, so a wrapped key copied to
/// another archive's row does not open; rotating `ENCRYPTION_KEY` re-wraps these 60 bytes and
/// leaves the archive untouched.
public struct ArchiveDataKey: Sendable {
    public static let wrappedSize = 12 + 32 + 16
    public let key: SymmetricKey

    /// A fresh random key.
    public init() {
        key = SymmetricKey(size: .bits256)
    }

    /// Unwraps a key stored by `wrapped(with:archiveID:)`.
    public init(unwrapping wrapped: [UInt8], with keyEncryptionKey: SymmetricKey, archiveID: String) throws(ArchiveFormatError) {
        guard wrapped.count == Self.wrappedSize,
              let box = try? AES.GCM.SealedBox(combined: wrapped),
              let bytes = try? AES.GCM.open(box, using: keyEncryptionKey, authenticating: Array(archiveID.utf8)),
              bytes.count == 32 else {
            throw ArchiveFormatError(.badKey, "the archive's data key does not open with this key (wrong ENCRYPTION_KEY, or the key belongs to another archive)")
        }
        key = SymmetricKey(data: bytes)
    }

    /// Nonce, ciphertext and tag (60 bytes): what a backup row stores.
    public func wrapped(with keyEncryptionKey: SymmetricKey, archiveID: String) throws(ArchiveFormatError) -> [UInt8] {
        guard let box = try? key.withUnsafeBytes({ try AES.GCM.seal($0, using: keyEncryptionKey, authenticating: Array(archiveID.utf8)) }),
              let combined = box.combined else {
            throw ArchiveFormatError(.badKey, "the archive's data key could not be wrapped")
        }
        return Array(combined)
    }
}

import Crypto
import Foundation

/// An AES-256 key from `ENCRYPTION_KEY` (64 hex characters) and its public id, stored next to
/// every ciphertext so keys can be rotated.
public struct EncryptionKey: Sendable {
    private let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// First 16 hex digits of a SHA-256 over a label and the key: names the key, reveals nothing.
    /// It is public (stored in rows, printed): never derive a secret from it.
    public let id: String

    public init(hex: String, variable: String = "ENCRYPTION_KEY") throws(RecordError) {
        guard let bytes = Self.decodeHex(hex.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw RecordError(
                .invalid, field: variable,
                "\(variable) must be exactly 64 hex digits (0-9, a-f; 32 bytes), e.g. from `openssl rand -hex 32`")
        }
        self.bytes = bytes
        let digest = SHA256.hash(data: Array("medicineman key id v1:".utf8) + bytes)
        id = Hex.encode(digest.prefix(8))
    }

    /// A 32-byte secret for another purpose, derived from the key's bytes with HKDF-SHA256 and a
    /// label of its own, so it reveals nothing about the key and differs per purpose.
    public func derivedSecret(label: String) -> [UInt8] {
        Self.derive(from: bytes, label: label)
    }

    /// HKDF-SHA256 over secret bytes; for secrets given as text (e.g. `SESSION_SECRET`) too.
    public static func derive(from secret: [UInt8], label: String) -> [UInt8] {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret), info: Array(label.utf8), outputByteCount: 32)
        return derived.withUnsafeBytes { Array($0) }
    }

    /// A fresh random key as 64 hex characters.
    public static func generateHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Hex.encode($0) }
    }

    /// Bytes of an even-length string of ASCII hex digits only (no signs, spaces or other scripts).
    static func decodeHex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Hex.value(of: digits[index]), let low = Hex.value(of: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}

import Crypto
import Foundation

/// An AES-256 key from `ENCRYPTION_KEY` (64 hex characters) and its public id, stored next to
/// every ciphertext so keys can be rotated.
public struct EncryptionKey: Sendable {
    private let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// First 16 hex digits of a SHA-256 over a label and the key: names the key, reveals nothing.
    public let id: String

    public init(hex: String, variable: String = "ENCRYPTION_KEY") throws(RecordError) {
        let text = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64 else {
            throw RecordError(.invalid, field: variable, "\(variable) must be 64 hex characters (32 bytes; e.g. `openssl rand -hex 32`), got \(text.utf8.count) characters")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else {
                throw RecordError(.invalid, field: variable, "\(variable) must contain only hex digits 0-9 and a-f")
            }
            bytes.append(byte)
            index = next
        }
        self.bytes = bytes
        let digest = SHA256.hash(data: Array("medicineman key id v1:".utf8) + bytes)
        id = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A fresh random key as 64 hex characters.
    public static func generateHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }
}

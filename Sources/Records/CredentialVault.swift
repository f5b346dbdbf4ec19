import Crypto
public import Foundation

/// A server credential as stored: AES-256-GCM ciphertext and the id of the key it is under.
public struct SealedCredential: Sendable, Equatable {
    /// `v1.` + base64(nonce ‖ ciphertext ‖ tag).
    public var ciphertext: String
    public var keyId: String

    public init(ciphertext: String, keyId: String) {
        self.ciphertext = ciphertext
        self.keyId = keyId
    }
}

/// Seals and opens server credentials (and webhook secrets: `CredentialVault+Webhooks`). The
/// server's id is the associated data, so a ciphertext copied onto another server's row does not
/// open. Plaintext leaves the vault only toward the SSH client (a webhook secret: the signer).
public struct CredentialVault: Sendable {
    public let currentKey: EncryptionKey
    private let keys: [String: EncryptionKey]

    /// `previous` keys still open credentials (during a rotation); new ones use `current`.
    public init(current: EncryptionKey, previous: [EncryptionKey] = []) {
        currentKey = current
        var keys: [String: EncryptionKey] = [:]
        for key in previous { keys[key.id] = key }
        keys[current.id] = current
        self.keys = keys
    }

    public func seal(_ plaintext: String, serverId: UUID) throws(RecordError) -> SealedCredential {
        try seal(bytes: Array(plaintext.utf8), associatedData: Self.associatedData(serverId))
    }

    public func open(_ sealed: SealedCredential, serverId: UUID) throws(RecordError) -> String {
        String(
            decoding: try open(
                bytes: sealed, associatedData: Self.associatedData(serverId), field: "credential",
                what: "the credential does not decrypt for this server: it was altered, copied from another server, or sealed under another key"),
            as: UTF8.self)
    }

    /// Seals any secret; `associatedData` binds it to its row (and its kind of row).
    func seal(bytes plaintext: [UInt8], associatedData: [UInt8]) throws(RecordError) -> SealedCredential {
        do {
            let box = try AES.GCM.seal(plaintext, using: currentKey.key, authenticating: associatedData)
            guard let combined = box.combined else { throw RecordError(.internalFailure, field: nil, "AES-GCM produced no output") }
            return SealedCredential(ciphertext: "v1." + combined.base64EncodedString(), keyId: currentKey.id)
        } catch let error as RecordError {
            throw error
        } catch {
            throw RecordError(.internalFailure, field: nil, "sealing the secret failed")
        }
    }

    /// Opens what `seal(bytes:associatedData:)` sealed; errors name `field` and say `what` went wrong.
    func open(bytes sealed: SealedCredential, associatedData: [UInt8], field: String, what: String) throws(RecordError) -> [UInt8] {
        guard let key = keys[sealed.keyId] else {
            throw RecordError(
                .invalid, field: field,
                "the \(field) is sealed under a key that is neither ENCRYPTION_KEY nor in ENCRYPTION_KEY_PREVIOUS; add the key it was sealed under to ENCRYPTION_KEY_PREVIOUS, or set the \(field) again"
            )
        }
        guard sealed.ciphertext.hasPrefix("v1."), let combined = Data(base64Encoded: String(sealed.ciphertext.dropFirst(3))) else {
            throw RecordError(.invalid, field: field, "the stored \(field) is not in the vault's format")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            return Array(try AES.GCM.open(box, using: key.key, authenticating: associatedData))
        } catch {
            throw RecordError(.invalid, field: field, what)
        }
    }

    public func isCurrent(_ sealed: SealedCredential) -> Bool { sealed.keyId == currentKey.id }

    private static func associatedData(_ serverId: UUID) -> [UInt8] {
        Array("medicineman server credential v1:\(serverId.lowercasedString)".utf8)
    }
}

import Crypto
public import Foundation

extension CredentialVault {
    /// Seals a webhook's signing secret; the webhook's id (and that it is a webhook secret) is the
    /// associated data, so the ciphertext opens neither on another webhook nor as a server credential.
    public func sealWebhookSecret(_ secret: [UInt8], webhookId: UUID) throws(RecordError) -> SealedCredential {
        try seal(bytes: secret, associatedData: Self.webhookAssociatedData(webhookId))
    }

    public func openWebhookSecret(_ sealed: SealedCredential, webhookId: UUID) throws(RecordError) -> [UInt8] {
        try open(
            bytes: sealed, associatedData: Self.webhookAssociatedData(webhookId), field: "secret",
            what: "the webhook's secret does not decrypt: it was altered, copied from another webhook, or sealed under another key")
    }

    /// Seals a webhook's URL (its path or query often holds a token), bound to the webhook's id
    /// like its secret, and kept apart from it: neither ciphertext opens as the other.
    public func sealWebhookURL(_ url: String, webhookId: UUID) throws(RecordError) -> SealedCredential {
        try seal(bytes: Array(url.utf8), associatedData: Self.webhookAssociatedData(webhookId, part: "url"))
    }

    public func openWebhookURL(_ sealed: SealedCredential, webhookId: UUID) throws(RecordError) -> String {
        String(
            decoding: try open(
                bytes: sealed, associatedData: Self.webhookAssociatedData(webhookId, part: "url"), field: "url",
                what: "the webhook's URL does not decrypt: it was altered, copied from another webhook, or sealed under another key"),
            as: UTF8.self)
    }

    /// A fresh 32-byte signing secret from the system's CSPRNG.
    public static func generateWebhookSecret() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    private static func webhookAssociatedData(_ webhookId: UUID, part: String = "secret") -> [UInt8] {
        Array("medicineman webhook \(part) v1:\(webhookId.lowercasedString)".utf8)
    }
}

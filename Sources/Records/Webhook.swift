public import Foundation
import PostgresClient

/// How a delivery's body looks: the event as JSON, or a Slack-compatible `{"text": …}`.
public enum WebhookFormat: String, Sendable, Codable, CaseIterable { case json, slack }

/// Where notifications of some events go. The signing secret is never part of this type.
public struct Webhook: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    public var url: String
    public var events: [String]
    public var format: WebhookFormat
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    static let columns = "id, url, events, format, enabled, created_at, updated_at"
}

/// A webhook just created, with its secret (64 hex digits): the only time the secret is shown.
public struct CreatedWebhook: Sendable {
    public var webhook: Webhook
    public var secretHex: String
}

/// A webhook's opened signing secret, for the signer only. Its description never shows it.
public struct WebhookSecret: Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public var description: String { "WebhookSecret(***)" }

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}

extension Webhook: RowRecord {}

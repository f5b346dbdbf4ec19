public import Foundation
import PostgresClient

/// How a delivery's body looks: the event as JSON, or a Slack-compatible `{"text": …}`.
public enum WebhookFormat: String, Sendable, Codable, CaseIterable { case json, slack }

/// Where notifications of some events go. Neither the signing secret nor the URL (often a
/// credential itself) is part of this type: only the URL's origin, which is all that is shown.
public struct Webhook: Sendable, Codable, Equatable {
    @LowercaseUUID public var id: UUID
    /// The URL's scheme and authority, e.g. `https://hooks.slack.com`.
    public var urlOrigin: String
    public var events: [String]
    public var format: WebhookFormat
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    /// A row not yet sealed (written before migration 0019, sealed by the next process to start)
    /// shows the origin of its plain URL, as `WebhookRepository.origin(of:)` would cut it.
    static let columns = """
        id, coalesce(url_origin, lower(regexp_replace(substring(url from '^https?://[^/?#]*'), '^(https?://)[^/?#]*@', '\\1'))) AS url_origin,
        events, format, enabled, created_at, updated_at
        """
}

/// A webhook just created, with its secret (64 hex digits): the only time the secret is shown.
public struct CreatedWebhook: Sendable {
    public var webhook: Webhook
    public var secretHex: String
}

/// A webhook's URL and signing secret, each opened or the reason it would not open.
public struct WebhookEndpoint: Sendable {
    public let url: Result<String, RecordError>
    public let secret: Result<WebhookSecret, RecordError>
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

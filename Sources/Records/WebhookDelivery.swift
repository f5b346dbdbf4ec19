public import Foundation
public import JSONSupport
import PostgresClient

/// One event on its way to one webhook; every attempt updates it.
public struct WebhookDelivery: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Queued, not tried yet.
        case pending
        /// An attempt failed; the queue tries again after its backoff.
        case retrying
        case delivered
        /// Every attempt failed, or the webhook is gone or disabled.
        case failed
        /// The target resolved to an address the platform may not call (see `WEBHOOK_ALLOW_PRIVATE`).
        case refused
    }

    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var webhookId: UUID
    public var event: String
    /// What the JSON body's `data` and `summary` carry.
    public var payload: JSONValue
    public var status: Status
    public var attempts: Int
    /// The HTTP status of the last answer, if one came.
    public var responseCode: Int?
    public var error: String?
    public var lastAttemptAt: Date?
    public var deliveredAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    static let columns = """
        id, webhook_id, event, payload, status, attempts, response_code, error, last_attempt_at, delivered_at, created_at, updated_at
        """
}

extension WebhookDelivery: RowRecord {}

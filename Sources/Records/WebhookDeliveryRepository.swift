public import Foundation
import ErrorCodes
public import JSONSupport
public import PostgresClient

/// Deliveries of events to webhooks: created when an event is queued, updated by every attempt.
public struct WebhookDeliveryRepository: Sendable {
    let database: PostgresPool

    public init(database: PostgresPool) {
        self.database = database
    }

    public func create(id: UUID = UUID(), webhookId: UUID, event: String, payload: JSONValue) async throws(RecordError) -> WebhookDelivery {
        try await recording {
            let row = try await database.query(
                "INSERT INTO webhook_deliveries (id, webhook_id, event, payload) VALUES ($1, $2, $3, $4) RETURNING \(WebhookDelivery.columns)",
                [id, webhookId, event, PostgresJSON(payload)]
            ).first
            return try WebhookDelivery(row: try row.orNotFound("delivery"))
        }
    }

    /// Marks that the delivery's job reached Redis (a change: a row enqueued late is not taken for abandoned).
    public func markEnqueued(id: UUID) async throws(RecordError) {
        _ = try await recording {
            try await database.query(
                "UPDATE webhook_deliveries SET enqueued_at = coalesce(enqueued_at, now()), updated_at = now() WHERE id = $1", [id])
        }
    }

    public func find(id: UUID) async throws(RecordError) -> WebhookDelivery? {
        try await database.find(in: "webhook_deliveries", id: id)
    }

    /// A webhook's deliveries, newest first.
    public func list(webhookId: UUID, _ page: Page = Page()) async throws(RecordError) -> PageOf<WebhookDelivery> {
        try await database.page(of: "webhook_deliveries", where: "webhook_id = $3", orderBy: "created_at DESC, id", page, [webhookId])
    }

    /// Records one attempt's outcome: counts it, keeps the last answer, and sets the status.
    /// A delivered row stays delivered (a late duplicate attempt cannot undo it).
    @discardableResult
    public func recordAttempt(id: UUID, status: WebhookDelivery.Status, responseCode: Int?, error: String?) async throws(RecordError) -> Bool {
        try await recording {
            try await database.query(
                """
                UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, response_code = $3, error = $4,
                    last_attempt_at = now(), delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END,
                    updated_at = now()
                WHERE id = $1 AND status <> 'delivered'
                """, [id, status.rawValue, responseCode, error.map { $0.visibleClip(2000, keepingLineBreaks: true) }]
            ).affectedRows == 1
        }
    }

    /// Ends a delivery without an attempt (its webhook was disabled meanwhile).
    public func markFailed(id: UUID, error: String) async throws(RecordError) {
        _ = try await recording {
            try await database.query(
                "UPDATE webhook_deliveries SET status = 'failed', error = $2, updated_at = now() WHERE id = $1 AND status <> 'delivered'",
                [id, error.visibleClip(2000, keepingLineBreaks: true)])
        }
    }

    /// Deliveries whose job reached Redis and that nothing has changed for `seconds` (by the
    /// database's clock), oldest first, after `cursor`: the candidates for `settle`.
    public func unchanged(
        forSeconds seconds: Int64, after cursor: (updatedAt: Date, id: UUID)? = nil, limit: Int = 100
    ) async throws(RecordError)
        -> [WebhookDelivery]
    {
        try await recording {
            try await database.query(
                """
                SELECT \(WebhookDelivery.columns) FROM webhook_deliveries
                WHERE status IN ('pending', 'retrying') AND enqueued_at IS NOT NULL
                    AND updated_at < now() - make_interval(secs => $1::double precision)
                    AND ($2::timestamptz IS NULL OR (updated_at, id) > ($2::timestamptz, $3::uuid))
                ORDER BY updated_at, id LIMIT $4
                """, [Double(seconds), cursor?.updatedAt, cursor?.id, limit]
            ).rows.map(WebhookDelivery.init(row:))
        }
    }

    /// Settles a delivery as failed with `error` if it is still unsettled and unchanged for
    /// `seconds` (an attempt that landed meanwhile wins); so the pruner can retire it. A later
    /// attempt still updates the row. Returns whether it was settled.
    public func settle(id: UUID, unchangedForSeconds seconds: Int64, error: String) async throws(RecordError) -> Bool {
        try await recording {
            try await database.query(
                """
                UPDATE webhook_deliveries SET status = 'failed', error = $3, updated_at = now()
                WHERE id = $1 AND status IN ('pending', 'retrying') AND enqueued_at IS NOT NULL
                    AND updated_at < now() - make_interval(secs => $2::double precision)
                """, [id, Double(seconds), error.visibleClip(2000, keepingLineBreaks: true)]
            ).affectedRows == 1
        }
    }

    /// Deliveries whose job never reached Redis (the process died between the two writes).
    public func notEnqueued(createdBefore cutoff: Date, limit: Int = 100) async throws(RecordError) -> [WebhookDelivery] {
        try await recording {
            try await database.query(
                """
                SELECT \(WebhookDelivery.columns) FROM webhook_deliveries
                WHERE enqueued_at IS NULL AND status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2
                """, [cutoff, limit]
            ).rows.map(WebhookDelivery.init(row:))
        }
    }
}

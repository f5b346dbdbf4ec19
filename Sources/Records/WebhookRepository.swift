public import Foundation
public import PostgresClient

/// Webhooks and their sealed signing secrets. URLs and events are validated by the caller (the
/// API); the table's constraints are the last line.
public struct WebhookRepository: Sendable {
    let database: PostgresPool
    let vault: CredentialVault

    public init(database: PostgresPool, vault: CredentialVault) {
        self.database = database
        self.vault = vault
    }

    /// Creates a webhook with a fresh random secret, sealed before it is stored.
    public func create(url: String, events: [String], format: WebhookFormat, enabled: Bool) async throws(RecordError) -> CreatedWebhook {
        let id = UUID()
        let secret = CredentialVault.generateWebhookSecret()
        let sealed = try vault.sealWebhookSecret(secret, webhookId: id)
        let webhook = try await recording {
            let row = try await database.query(
                """
                INSERT INTO webhooks (id, url, events, format, enabled, secret_ciphertext, secret_key_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING \(Webhook.columns)
                """, [id, url, events, format.rawValue, enabled, sealed.ciphertext, sealed.keyId]
            ).first
            return try Webhook(row: try row.orNotFound("webhook"))
        }
        return CreatedWebhook(webhook: webhook, secretHex: Hex.encode(secret))
    }

    public func find(id: UUID) async throws(RecordError) -> Webhook? {
        try await database.find(in: "webhooks", id: id)
    }

    public func list(_ page: Page = Page()) async throws(RecordError) -> PageOf<Webhook> {
        try await database.page(of: "webhooks", orderBy: "created_at DESC, id", page)
    }

    /// Changes what is given; the secret stays.
    public func update(
        id: UUID, url: String? = nil, events: [String]? = nil, format: WebhookFormat? = nil,
        enabled: Bool? = nil
    ) async throws(RecordError) -> Webhook {
        try await recording {
            let row = try await database.query(
                """
                UPDATE webhooks SET url = coalesce($2, url), events = coalesce($3, events), format = coalesce($4, format),
                    enabled = coalesce($5, enabled), updated_at = now()
                WHERE id = $1 RETURNING \(Webhook.columns)
                """, [id, url, events, format?.rawValue, enabled]
            ).first
            return try Webhook(row: try row.orNotFound("webhook"))
        }
    }

    /// Deletes the webhook and its deliveries (their queued jobs then find nothing to do).
    public func delete(id: UUID) async throws(RecordError) -> Bool {
        try await recording { try await database.query("DELETE FROM webhooks WHERE id = $1", [id]).affectedRows > 0 }
    }

    /// The enabled webhooks that want `event`.
    public func subscribers(to event: String) async throws(RecordError) -> [Webhook] {
        try await recording {
            try await database.query(
                "SELECT \(Webhook.columns) FROM webhooks WHERE enabled AND events @> ARRAY[$1::text] ORDER BY created_at, id", [event]
            ).rows.map(Webhook.init(row:))
        }
    }

    /// The opened signing secret, for the signer only.
    public func secret(for id: UUID) async throws(RecordError) -> WebhookSecret {
        let row = try await recording {
            try await database.query("SELECT secret_ciphertext, secret_key_id FROM webhooks WHERE id = $1", [id]).first
        }
        guard let row else { throw RecordError(.notFound, field: "id", "no webhook has this id") }
        let sealed = try recording {
            SealedCredential(ciphertext: try row.decode("secret_ciphertext"), keyId: try row.decode("secret_key_id"))
        }
        return WebhookSecret(bytes: try vault.openWebhookSecret(sealed, webhookId: id))
    }
}

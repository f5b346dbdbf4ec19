public import Foundation
public import PostgresClient

/// Webhooks with their sealed URLs and signing secrets. URLs and events are validated by the
/// caller (the API); the repository checks a URL's outline and the table's constraints are the
/// last line.
public struct WebhookRepository: Sendable {
    let database: PostgresPool
    let vault: CredentialVault

    public init(database: PostgresPool, vault: CredentialVault) {
        self.database = database
        self.vault = vault
    }

    /// Creates a webhook with a fresh random secret; the URL and the secret are sealed before they are stored.
    public func create(url: String, events: [String], format: WebhookFormat, enabled: Bool) async throws(RecordError) -> CreatedWebhook {
        let id = UUID()
        let origin = try Self.requireOrigin(of: url)
        let sealedURL = try vault.sealWebhookURL(url, webhookId: id)
        let secret = CredentialVault.generateWebhookSecret()
        let sealed = try vault.sealWebhookSecret(secret, webhookId: id)
        let webhook = try await recording {
            let row = try await database.query(
                """
                INSERT INTO webhooks (id, url_origin, url_ciphertext, url_key_id, events, format, enabled, secret_ciphertext, secret_key_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING \(Webhook.columns)
                """, [id, origin, sealedURL.ciphertext, sealedURL.keyId, events, format.rawValue, enabled, sealed.ciphertext, sealed.keyId]
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

    /// Changes what is given (a new URL is sealed); the secret stays.
    public func update(
        id: UUID, url: String? = nil, events: [String]? = nil, format: WebhookFormat? = nil,
        enabled: Bool? = nil
    ) async throws(RecordError) -> Webhook {
        var origin: String?
        var sealedURL: SealedCredential?
        if let url {
            origin = try Self.requireOrigin(of: url)
            sealedURL = try vault.sealWebhookURL(url, webhookId: id)
        }
        return try await recording {
            let row = try await database.query(
                """
                UPDATE webhooks SET events = coalesce($2, events), format = coalesce($3, format), enabled = coalesce($4, enabled),
                    url = CASE WHEN $5::text IS NULL THEN url END, url_origin = coalesce($5, url_origin),
                    url_ciphertext = coalesce($6, url_ciphertext), url_key_id = coalesce($7, url_key_id), updated_at = now()
                WHERE id = $1 RETURNING \(Webhook.columns)
                """, [id, events, format?.rawValue, enabled, origin, sealedURL?.ciphertext, sealedURL?.keyId]
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

    /// What a delivery needs of a webhook, read in one query: its URL (a row not yet sealed gives
    /// its plain one) and its signing secret, each opened on its own, so one that will not open
    /// fails only the step that needs it. A sealed URL must lead to the origin the row shows: one
    /// that does not was not sealed with it.
    public func endpoint(for id: UUID) async throws(RecordError) -> WebhookEndpoint {
        let row = try await recording {
            try await database.query(
                "SELECT url, url_origin, url_ciphertext, url_key_id, secret_ciphertext, secret_key_id FROM webhooks WHERE id = $1", [id]
            ).first
        }
        guard let row else { throw RecordError(.notFound, field: "id", "no webhook has this id") }
        let (plain, sealedURL, shownOrigin, sealedSecret) = try recording { () throws -> (String?, SealedCredential?, String?, SealedCredential) in
            let secret = SealedCredential(ciphertext: try row.decode("secret_ciphertext"), keyId: try row.decode("secret_key_id"))
            let origin = try row.decodeIfPresent("url_origin", as: String.self)
            guard let ciphertext = try row.decodeIfPresent("url_ciphertext", as: String.self) else {
                return (try row.decodeIfPresent("url", as: String.self), nil, origin, secret)
            }
            return (nil, SealedCredential(ciphertext: ciphertext, keyId: try row.decode("url_key_id")), origin, secret)
        }
        let url = Result { () throws(RecordError) -> String in
            if let sealedURL {
                let opened = try vault.openWebhookURL(sealedURL, webhookId: id)
                guard Self.origin(of: opened) == shownOrigin else {
                    throw RecordError(.invalid, field: "url", "the webhook's sealed URL does not lead to the origin it shows: the row was altered")
                }
                return opened
            }
            guard let plain else { throw RecordError(.invalid, field: "url", "the webhook has neither a plain nor a sealed URL") }
            return plain
        }
        let secret = Result { () throws(RecordError) in WebhookSecret(bytes: try vault.openWebhookSecret(sealedSecret, webhookId: id)) }
        return WebhookEndpoint(url: url, secret: secret)
    }

    /// The opened URL (`endpoint(for:)`'s).
    public func url(for id: UUID) async throws(RecordError) -> String {
        try await endpoint(for: id).url.get()
    }

    /// What sealing plain URLs did: the rows it sealed, and those whose URL has an outline no
    /// version accepted (left plain, still delivered, for an operator to fix or delete).
    public struct PlainURLSealing: Sendable, Equatable {
        public var sealed: [UUID] = []
        public var unsealable: [UUID] = []
    }

    /// Seals the URLs of rows stored in the clear (by a version before migration 0019) and keeps
    /// only their origin readable, all in one transaction. Run at start-up and by the notification
    /// service's passes, with the key; `skippingLocked` passes over rows another transaction holds
    /// (a pass that runs again soon need not wait, or deadlock, on them).
    public func sealPlainURLs(skippingLocked: Bool = false) async throws(RecordError) -> PlainURLSealing {
        let vault = self.vault
        return try await recording {
            try await database.withTransaction { db in try Self.sealPlainURLs(in: db, vault: vault, skippingLocked: skippingLocked) }
        }
    }

    /// `sealPlainURLs()` inside a transaction of the caller's (a key rotation seals them under the new key).
    static func sealPlainURLs(in db: isolated PostgresConnection, vault: CredentialVault, skippingLocked: Bool = false) throws -> PlainURLSealing {
        // NO KEY UPDATE: the id stays, so deliveries being inserted (their foreign key) are not held up.
        let rows = try db.query(
            "SELECT id, url FROM webhooks WHERE url IS NOT NULL ORDER BY id FOR NO KEY UPDATE" + (skippingLocked ? " SKIP LOCKED" : "")
        ).rows
        var result = PlainURLSealing()
        for row in rows {
            let id: UUID = try row.decode("id")
            let url: String = try row.decode("url")
            guard let origin = origin(of: url) else {
                result.unsealable.append(id)
                continue
            }
            let sealedURL = try vault.sealWebhookURL(url, webhookId: id)
            try db.query(
                "UPDATE webhooks SET url = NULL, url_origin = $2, url_ciphertext = $3, url_key_id = $4 WHERE id = $1",
                [id, origin, sealedURL.ciphertext, sealedURL.keyId])
            result.sealed.append(id)
        }
        return result
    }

    /// The scheme and authority of an absolute http(s) URL of 10 to 2,048 characters, lowercased
    /// and without any `user:password@`; nil for anything else.
    static func origin(of url: String) -> String? {
        guard (10...2048).contains(url.utf8.count), let separator = url.range(of: "://") else { return nil }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let authority = url[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        guard !hostAndPort.isEmpty, hostAndPort.unicodeScalars.allSatisfy({ (0x21...0x7e).contains($0.value) }) else { return nil }
        return "\(scheme)://\(hostAndPort.lowercased())"
    }

    private static func requireOrigin(of url: String) throws(RecordError) -> String {
        guard let origin = origin(of: url) else {
            throw RecordError(.invalid, field: "url", "url must be an http:// or https:// URL of 10 to 2048 characters with a host")
        }
        return origin
    }

    /// The opened signing secret (`endpoint(for:)`'s), for the signer only.
    public func secret(for id: UUID) async throws(RecordError) -> WebhookSecret {
        try await endpoint(for: id).secret.get()
    }
}

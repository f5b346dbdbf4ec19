import Foundation
import JSONSupport
import PostgresClient
@testable import Records
import Testing

@Suite struct WebhookRecordsTests {
    @Test func secretsAreSealedPerWebhookAndSurviveARotation() async throws {
        try await RecordsFixture.run { fixture in
            let repository = WebhookRepository(database: fixture.database, vault: fixture.vault)
            let first = try await repository.create(url: "https://hooks.example.com/a", events: ["backup.failed"], format: .json, enabled: true)
            let second = try await repository.create(url: "https://hooks.example.com/b", events: ["backup.completed"], format: .slack, enabled: true)
            #expect(first.secretHex.count == 64 && first.secretHex != second.secretHex)
            #expect(Hex.encode(try await repository.secret(for: first.webhook.id).bytes) == first.secretHex)
            let stored = try await fixture.database.query("SELECT secret_ciphertext FROM webhooks").rows
                .map { try $0.decode("secret_ciphertext", as: String.self) }
            #expect(stored.allSatisfy { !$0.contains(first.secretHex) && !$0.contains(second.secretHex) })
            // A ciphertext copied onto another webhook's row does not open there.
            try await fixture.database.query(
                "UPDATE webhooks SET secret_ciphertext = (SELECT secret_ciphertext FROM webhooks WHERE id = $1) WHERE id = $2",
                [first.webhook.id, second.webhook.id])
            let copied = await recordError { _ = try await repository.secret(for: second.webhook.id) }
            #expect(copied?.field == "secret")
            try await fixture.database.query("DELETE FROM webhooks WHERE id = $1", [second.webhook.id])

            _ = try await fixture.makeServer("rotating", credential: "server-secret")
            // A URL an earlier version stored in the clear is sealed under the new key by the rotation.
            let legacy = try await insertPlainWebhook(url: "https://chat.example.org/hooks/legacy-token", fixture)
            let newKey = try EncryptionKey(hex: otherKeyHex)
            // One server credential, two secrets, a sealed URL and a plain one.
            #expect(try await CredentialRotation(database: fixture.database, vault: fixture.vault).rotate(to: newKey) == 5)
            let rotated = WebhookRepository(database: fixture.database, vault: CredentialVault(current: newKey))
            #expect(Hex.encode(try await rotated.secret(for: first.webhook.id).bytes) == first.secretHex)
            #expect(try await rotated.url(for: first.webhook.id) == "https://hooks.example.com/a")
            #expect(try await rotated.url(for: legacy) == "https://chat.example.org/hooks/legacy-token")
            let urlKeyIds = try await fixture.database.query("SELECT DISTINCT url_key_id FROM webhooks").rows.map { try $0.decode("url_key_id", as: String.self) }
            #expect(urlKeyIds == [newKey.id])
            // A process still on the old key creates a webhook after the rotation; the rotation run
            // again once every process has the new key moves just that one.
            let late = try await repository.create(url: "https://hooks.example.com/late", events: ["backup.failed"], format: .json, enabled: true)
            let bothKeys = CredentialVault(current: newKey, previous: [fixture.vault.currentKey])
            #expect(try await CredentialRotation(database: fixture.database, vault: bothKeys).rotate(to: newKey) == 2)
            #expect(try await CredentialRotation(database: fixture.database, vault: bothKeys).rotate(to: newKey) == 0)
            #expect(try await rotated.url(for: late.webhook.id) == "https://hooks.example.com/late")
            let keyIds = try await fixture.database.query("SELECT DISTINCT secret_key_id FROM webhooks").rows
                .map { try $0.decode("secret_key_id", as: String.self) }
            #expect(keyIds == [newKey.id])
        }
    }

    /// A webhook's URL is a credential too (Slack's path): it is sealed like the secret, bound to
    /// its webhook, and only its origin is readable. Rows stored in the clear by an earlier version
    /// are sealed at start-up.
    @Test func urlsAreSealedAndPlainOnesAreSealedOnce() async throws {
        try await RecordsFixture.run { fixture in
            let repository = WebhookRepository(database: fixture.database, vault: fixture.vault)
            let sealed = try await repository.create(url: "https://Hooks.Example.com:8443/services/T0/B0/tok3n?x=1", events: ["backup.failed"], format: .slack, enabled: true)
            #expect(sealed.webhook.urlOrigin == "https://hooks.example.com:8443")
            #expect(try await repository.url(for: sealed.webhook.id) == "https://Hooks.Example.com:8443/services/T0/B0/tok3n?x=1")
            let row = try #require(try await fixture.database.query("SELECT row_to_json(webhooks)::text AS row FROM webhooks").first)
            #expect(!(try row.decode("row", as: String.self)).contains("tok3n"))

            let legacy = try await insertPlainWebhook(url: "https://chat.example.org/hooks/legacy-token", fixture)
            #expect(try await repository.find(id: legacy)?.urlOrigin == "https://chat.example.org")
            #expect(try await repository.url(for: legacy) == "https://chat.example.org/hooks/legacy-token")
            // Shown and sealed without the credentials an earlier version's row may hold in its authority.
            let withUser = try await insertPlainWebhook(url: "https://user:pw@Chat.Example.org:8443/x", fixture)
            #expect(try await repository.find(id: withUser)?.urlOrigin == "https://chat.example.org:8443")
            // A row no version accepted stays plain and listed (an operator fixes or deletes it).
            let odd = try await insertPlainWebhook(url: "https:///no-host", fixture)
            #expect(try await repository.find(id: odd)?.urlOrigin == "https://")
            #expect(try await repository.sealPlainURLs() == .init(sealed: [legacy, withUser].sorted { $0.uuidString < $1.uuidString }, unsealable: [odd]))
            #expect(try await repository.sealPlainURLs(skippingLocked: true) == .init(sealed: [], unsealable: [odd]), "sealed once")
            #expect(try await repository.find(id: withUser)?.urlOrigin == "https://chat.example.org:8443")
            #expect(try await repository.url(for: withUser) == "https://user:pw@Chat.Example.org:8443/x")
            #expect(try await repository.list().total == 4)
            _ = try await repository.delete(id: odd)
            let after = try #require(try await fixture.database.query("SELECT url, url_origin, url_key_id FROM webhooks WHERE id = $1", [legacy]).first)
            #expect(try after.decodeIfPresent("url", as: String.self) == nil)
            #expect(try after.decode("url_origin", as: String.self) == "https://chat.example.org")
            #expect(try after.decode("url_key_id", as: String.self) == fixture.vault.currentKey.id)
            #expect(try await repository.url(for: legacy) == "https://chat.example.org/hooks/legacy-token")

            // A new URL replaces the sealed one; the origin follows it.
            let moved = try await repository.update(id: legacy, url: "http://10.0.0.9:8080/new-path")
            #expect(moved.urlOrigin == "http://10.0.0.9:8080" && moved.events == ["backup.failed"])
            #expect(try await repository.url(for: legacy) == "http://10.0.0.9:8080/new-path")
            let renamed = try await repository.update(id: legacy, enabled: false)
            #expect(renamed.urlOrigin == "http://10.0.0.9:8080")
            #expect(try await repository.url(for: legacy) == "http://10.0.0.9:8080/new-path")

            // The origin shown is the one sealed with the URL: a row whose shown origin was changed
            // (to pass a redirected delivery off as the old one) delivers nothing.
            try await fixture.database.query("UPDATE webhooks SET url_origin = 'https://hooks.example.com' WHERE id = $1", [legacy])
            #expect(await recordError { _ = try await repository.url(for: legacy) }?.message.contains("altered") == true)
            try await fixture.database.query("UPDATE webhooks SET url_origin = 'http://10.0.0.9:8080' WHERE id = $1", [legacy])
            // Nor can a sealed row be turned back into a plain one that still shows the old origin.
            let downgraded = await recordError {
                try await fixture.database.query(
                    "UPDATE webhooks SET url = 'https://evil.example.net/x', url_ciphertext = NULL, url_key_id = NULL WHERE id = $1", [legacy])
            }
            #expect(downgraded != nil)

            // A URL's ciphertext opens neither on another webhook nor as a secret, nor a secret's as a URL.
            try await fixture.database.query(
                "UPDATE webhooks SET url_ciphertext = (SELECT url_ciphertext FROM webhooks WHERE id = $1) WHERE id = $2", [sealed.webhook.id, legacy])
            #expect(await recordError { _ = try await repository.url(for: legacy) }?.field == "url")
            try await fixture.database.query(
                "UPDATE webhooks SET url_ciphertext = secret_ciphertext, secret_ciphertext = url_ciphertext WHERE id = $1", [sealed.webhook.id])
            #expect(await recordError { _ = try await repository.url(for: sealed.webhook.id) }?.field == "url")
            #expect(await recordError { _ = try await repository.secret(for: sealed.webhook.id) }?.field == "secret")
            // Neither both forms nor neither: the table refuses a row that is plain and sealed at once.
            let both = await recordError {
                try await fixture.database.query("UPDATE webhooks SET url = 'https://x.example.com/' WHERE id = $1", [legacy])
            }
            #expect(both != nil)
            let upper = try await repository.create(url: "HTTPS://Hooks.Example.com/x", events: ["backup.failed"], format: .json, enabled: true)
            #expect(upper.webhook.urlOrigin == "https://hooks.example.com")
            for bad in ["ftp://x.example.com/a", "https://", "https:///only-a-path", "https://a b.example.com/"] {
                #expect(await recordError { _ = try await repository.create(url: bad, events: ["backup.failed"], format: .json, enabled: true) }?.field == "url", "\(bad)")
            }
        }
    }

    /// A row as migration 0019 leaves an earlier version's: plain URL, no origin.
    func insertPlainWebhook(url: String, _ fixture: RecordsFixture) async throws -> UUID {
        let id = UUID()
        let secret = try fixture.vault.sealWebhookSecret(CredentialVault.generateWebhookSecret(), webhookId: id)
        try await fixture.database.query(
            "INSERT INTO webhooks (id, url, events, secret_ciphertext, secret_key_id) VALUES ($1, $2, $3, $4, $5)",
            [id, url, ["backup.failed"], secret.ciphertext, secret.keyId])
        return id
    }

    /// A delivery whose last attempt's outcome could not be written (or whose job was removed)
    /// would stay `retrying` for ever, and the pruner keeps unsettled rows: once no attempt has
    /// changed it for longer than the retries can wait, it is a candidate to settle as failed
    /// (the notifier settles it when its job will not run again).
    @Test func deliveriesNoAttemptChangesAreSettled() async throws {
        try await RecordsFixture.run { fixture in
            let repository = WebhookRepository(database: fixture.database, vault: fixture.vault)
            let deliveries = WebhookDeliveryRepository(database: fixture.database)
            let hook = try await repository.create(url: "https://a.example.com/", events: ["backup.failed"], format: .json, enabled: true)
            func delivery(enqueued: Bool, status: WebhookDelivery.Status?, age: String) async throws -> UUID {
                let created = try await deliveries.create(webhookId: hook.webhook.id, event: "backup.failed", payload: ["summary": "x"])
                if enqueued { try await deliveries.markEnqueued(id: created.id) }
                if let status { try await deliveries.recordAttempt(id: created.id, status: status, responseCode: 500, error: "answered 500") }
                try await fixture.database.query("UPDATE webhook_deliveries SET updated_at = now() - $2::interval WHERE id = $1", [created.id, age])
                return created.id
            }
            let abandoned = try await delivery(enqueued: true, status: .retrying, age: "2 days")
            let neverAttempted = try await delivery(enqueued: true, status: nil, age: "2 days")
            let recent = try await delivery(enqueued: true, status: .retrying, age: "1 hour")
            let stranded = try await delivery(enqueued: false, status: nil, age: "2 days")  // re-enqueued instead
            // Enqueuing is a change: a row queued late (Redis was away for a day) is not taken for abandoned.
            let late = try await delivery(enqueued: false, status: nil, age: "2 days")
            try await deliveries.markEnqueued(id: late)
            let delivered = try await delivery(enqueued: true, status: .delivered, age: "2 days")
            let day: Int64 = 86_400
            let candidates = try await deliveries.unchanged(forSeconds: day).map(\.id)
            #expect(Set(candidates) == [abandoned, neverAttempted])
            // Page by page, oldest first.
            let first = try #require(try await deliveries.unchanged(forSeconds: day, limit: 1).first)
            #expect(try await deliveries.unchanged(forSeconds: day, after: (first.updatedAt, first.id)).map(\.id) == candidates.filter { $0 != first.id })
            for id in [abandoned, neverAttempted] {
                #expect(try await deliveries.settle(id: id, unchangedForSeconds: day, error: "no attempt changed it"))
                #expect(try await deliveries.settle(id: id, unchangedForSeconds: day, error: "again") == false, "settled once")
            }
            // Only what is unsettled and unchanged for that long.
            for id in [recent, stranded, delivered, late] {
                #expect(try await deliveries.settle(id: id, unchangedForSeconds: day, error: "no attempt changed it") == false)
            }
            #expect(try await deliveries.unchanged(forSeconds: day).isEmpty)
            for id in [abandoned, neverAttempted] {
                let row = try #require(try await deliveries.find(id: id))
                #expect(row.status == .failed && row.error == "no attempt changed it")
            }
            #expect(try await deliveries.find(id: recent)?.status == .retrying)
            #expect(try await deliveries.find(id: stranded)?.status == .pending)
            #expect(try await deliveries.find(id: late)?.status == .pending)
            #expect(try await deliveries.find(id: delivered)?.status == .delivered)
            // A late attempt still lands.
            #expect(try await deliveries.recordAttempt(id: abandoned, status: .delivered, responseCode: 204, error: nil))
            #expect(try await deliveries.find(id: abandoned)?.status == .delivered)
        }
    }

    @Test func subscribersAndDeliveries() async throws {
        try await RecordsFixture.run { fixture in
            let repository = WebhookRepository(database: fixture.database, vault: fixture.vault)
            let deliveries = WebhookDeliveryRepository(database: fixture.database)
            let failures = try await repository.create(url: "https://a.example.com/", events: ["backup.failed", "update.failed"], format: .json, enabled: true)
            _ = try await repository.create(url: "https://b.example.com/", events: ["backup.failed"], format: .json, enabled: false)
            _ = try await repository.create(url: "https://c.example.com/", events: ["scan.completed"], format: .json, enabled: true)
            #expect(try await repository.subscribers(to: "backup.failed").map(\.id) == [failures.webhook.id])
            #expect(try await repository.subscribers(to: "queue.recovered").isEmpty)

            let delivery = try await deliveries.create(webhookId: failures.webhook.id, event: "backup.failed", payload: ["summary": "x"])
            #expect(try await deliveries.notEnqueued(createdBefore: Date().addingTimeInterval(60)).map(\.id) == [delivery.id])
            try await deliveries.markEnqueued(id: delivery.id)
            #expect(try await deliveries.notEnqueued(createdBefore: Date().addingTimeInterval(60)).isEmpty)
            try await deliveries.recordAttempt(id: delivery.id, status: .retrying, responseCode: 500, error: "answered 500")
            try await deliveries.recordAttempt(id: delivery.id, status: .delivered, responseCode: 204, error: nil)
            // A late duplicate attempt does not undo the delivery.
            #expect(try await deliveries.recordAttempt(id: delivery.id, status: .failed, responseCode: nil, error: "late") == false)
            let done = try #require(try await deliveries.find(id: delivery.id))
            #expect(done.status == .delivered && done.attempts == 2 && done.responseCode == 204 && done.deliveredAt != nil && done.error == nil)
            #expect(try await deliveries.list(webhookId: failures.webhook.id).total == 1)

            let bad = await recordError { _ = try await repository.create(url: "ftp://x.example.com/", events: ["backup.failed"], format: .json, enabled: true) }
            #expect(bad?.field == "url")
            #expect(try await repository.delete(id: failures.webhook.id))
            #expect(try await deliveries.find(id: delivery.id) == nil)  // deliveries go with their webhook
        }
    }
}

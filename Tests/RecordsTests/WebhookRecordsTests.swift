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
            let newKey = try EncryptionKey(hex: otherKeyHex)
            #expect(try await CredentialRotation(database: fixture.database, vault: fixture.vault).rotate(to: newKey) == 2)
            let rotated = WebhookRepository(database: fixture.database, vault: CredentialVault(current: newKey))
            #expect(Hex.encode(try await rotated.secret(for: first.webhook.id).bytes) == first.secretHex)
            let keyIds = try await fixture.database.query("SELECT DISTINCT secret_key_id FROM webhooks").rows
                .map { try $0.decode("secret_key_id", as: String.self) }
            #expect(keyIds == [newKey.id])
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

import BlockingIO
import Foundation
import Logging
import PostgresClient
import Records
import TestSupport
import Testing

/// A platform upgraded or re-keyed in place: the new version's start-up brings rows written by an
/// earlier one to what it now keeps, and a key rotation leaves nothing only the old key opens.
@Suite struct UpgradeTests {
    /// Webhook URLs stored in the clear before migration 0019 are sealed when the upgraded server
    /// starts (the migration alone cannot: it has no key), and only their origin stays readable.
    @Test(.exclusive) func startingAnUpgradedServerSealsWebhookURLsStoredInTheClear() async throws {
        let logger = testLogger("test.upgrade", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            let environment = try PlatformProcess.environment(databaseURL: databaseURL)
            let earlier = try MigrationRunner.load(directory: try TestEnvironment.require("MM_TEST_ROOT") + "/migrations").filter { $0.version < 19 }
            let connection = PostgresConnection(configuration: PostgresConfiguration(url: databaseURL), logger: logger)
            try await withCleanup {
                _ = try await MigrationRunner(migrations: earlier, logger: logger).migrate(on: connection)
                let vault = CredentialVault(current: try EncryptionKey(hex: try #require(environment["ENCRYPTION_KEY"])))
                let id = UUID()
                let secret = try vault.sealWebhookSecret(CredentialVault.generateWebhookSecret(), webhookId: id)
                try await connection.query(
                    "INSERT INTO webhooks (id, url, events, secret_ciphertext, secret_key_id) VALUES ($1, $2, $3, $4, $5)",
                    [id, "https://hooks.example.com/services/T0/B0/clear-token", ["backup.failed"], secret.ciphertext, secret.keyId])
                var noticed = environment
                noticed["LOG_LEVEL"] = "notice"
                try await PlatformProcess.run(["api"], environment: noticed) { process in
                    let row = try #require(try await connection.query("SELECT row_to_json(webhooks)::text AS row FROM webhooks").first)
                    let text = try row.decode("row", as: String.self)
                    #expect(!text.contains("clear-token") && text.contains("\"url\":null") && text.contains("\"url_origin\":\"https://hooks.example.com\""))
                    #expect(process.child.errorOutput.contains("sealed webhook URLs stored in the clear"), "\(process.child.errorOutput.suffix(2000))")
                    #expect(!process.child.errorOutput.contains("clear-token") && !process.child.output.contains("clear-token"))
                    let pool = PostgresPool(configuration: PostgresConfiguration(url: databaseURL), logger: logger)
                    let opened = try await withCleanup {
                        try await WebhookRepository(database: pool, vault: vault).url(for: id)
                    } cleanup: {
                        await pool.close()
                    }
                    #expect(opened == "https://hooks.example.com/services/T0/B0/clear-token")
                }
            } cleanup: {
                await connection.close()
            }
        }
    }

    /// The rotation as the README tells it: `rotate-key`, restart on the new key with the old one
    /// as previous, then `rotate-key --finish` moves what a process still on the old key sealed in
    /// between, so `ENCRYPTION_KEY_PREVIOUS` can go.
    @Test(.exclusive) func finishingARotationMovesWhatTheOldKeySealedMeanwhile() async throws {
        let logger = testLogger("test.rotation", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            let environment = try PlatformProcess.environment(databaseURL: databaseURL)
            _ = try await PlatformProcess.command(["migrate"], environment: environment)
            let pool = PostgresPool(configuration: PostgresConfiguration(url: databaseURL), logger: logger)
            try await withCleanup {
                let oldHex = try #require(environment["ENCRYPTION_KEY"])
                let oldKey = try EncryptionKey(hex: oldHex)
                let onOldKey = WebhookRepository(database: pool, vault: CredentialVault(current: oldKey))
                _ = try await onOldKey.create(url: "https://hooks.example.com/first", events: ["backup.failed"], format: .json, enabled: true)
                let newHex = try await PlatformProcess.command(["credentials", "rotate-key"], environment: environment)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let newKey = try EncryptionKey(hex: newHex)
                // A process not yet restarted seals a webhook under the old key.
                let late = try await onOldKey.create(url: "https://hooks.example.com/late", events: ["backup.failed"], format: .json, enabled: true)
                var restarted = environment
                restarted["ENCRYPTION_KEY"] = newHex
                restarted["ENCRYPTION_KEY_PREVIOUS"] = oldHex
                let refused = await #expect(throws: ChildProcess.Failure.self) {
                    _ = try await PlatformProcess.command(["credentials", "rotate-key", "--finish", "--new-key", newHex], environment: restarted)
                }
                #expect(refused?.description.contains("give no --new-key") == true)
                let finish = try ChildProcess(try TestEnvironment.require("MM_TEST_MEDICINEMAN"), ["credentials", "rotate-key", "--finish"], environment: restarted)
                #expect(try await finish.wait(timeout: .seconds(60)) == 0)
                #expect(finish.output.isEmpty, "--finish prints no key")
                #expect(finish.errorOutput.contains("moved 2 credential(s)"), "\(finish.errorOutput)")
                let keyIds = try await pool.query("SELECT DISTINCT secret_key_id AS id FROM webhooks UNION SELECT DISTINCT url_key_id FROM webhooks").rows
                    .map { try $0.decode("id", as: String.self) }
                #expect(keyIds == [newKey.id], "nothing is left that only the old key opens")
                let onNewKey = WebhookRepository(database: pool, vault: CredentialVault(current: newKey))
                #expect(try await onNewKey.url(for: late.webhook.id) == "https://hooks.example.com/late")
                // Both runs are in the audit log, by the CLI, naming the key by its public id only.
                let rotations = try await pool.query("SELECT actor, resource_id, details::text AS details FROM audit_log WHERE action = 'credentials.rotate'").rows
                #expect(rotations.count == 2)
                #expect(try rotations.allSatisfy { try $0.decode("actor", as: String.self).hasPrefix("cli:") && $0.decode("resource_id", as: String.self) == newKey.id })
                #expect(try rotations.allSatisfy { try !$0.decode("details", as: String.self).contains(newHex) })
            } cleanup: {
                await pool.close()
            }
        }
    }
}

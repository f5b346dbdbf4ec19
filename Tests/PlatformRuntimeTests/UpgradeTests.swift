import BlockingIO
import Foundation
import Logging
import PostgresClient
import Records
import TestSupport
import Testing

/// A platform upgraded in place: the new version's start-up brings rows written by an earlier
/// one to what it now keeps.
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
}

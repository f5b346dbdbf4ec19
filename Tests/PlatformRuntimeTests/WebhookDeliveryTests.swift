import BlockingIO
import Crypto
import Foundation
import HTTPAPI
import JobQueue
import JSONSupport
import Notifications
import PostgresClient
import Records
import ServerJobs
import TestSupport
import Testing

/// Deliveries to a live receiver on 127.0.0.1 (`allowPrivateTargets` on, as `WEBHOOK_ALLOW_PRIVATE=true`).
@Suite struct WebhookDeliveryTests {
    @Test func deliveriesAreSignedSoTheReadmesCheckVerifiesThem() async throws {
        try await WebhookFixture.run { fixture in
            try await withReceiver { port, log in
                let created = try await fixture.insertWebhook(url: "http://127.0.0.1:\(port)/hook", events: ["backup.failed", "backup.completed"])
                try await fixture.withWorker { notifier in
                    await notifier.notify(testEvent())
                    await notifier.notify(testEvent(.scanCompleted))  // not subscribed
                    let items = try await fixture.waitForDeliveries(of: created.webhook.id) { $0.first?.status == .delivered }
                    #expect(items.count == 1 && items.first?.attempts == 1 && items.first?.responseCode == 200)
                }
                let request = try #require(await log.requests.first)
                #expect(await log.requests.count == 1)
                let delivery = try #require(try await fixture.deliveries.list(webhookId: created.webhook.id).items.first)
                #expect(request.headers["x-medicineman-event"] == "backup.failed")
                #expect(request.headers["x-medicineman-delivery"] == delivery.id.uuidString.lowercased())
                #expect(request.headers["content-type"] == "application/json")
                let timestamp = try #require(request.headers["x-medicineman-timestamp"])
                #expect(abs((Int(timestamp) ?? 0) - Int(Date().timeIntervalSince1970)) < 120)
                let key = SymmetricKey(data: try #require(hexBytes(created.secretHex)))
                let mac = HMAC<SHA256>.authenticationCode(for: Array((timestamp + ".").utf8) + request.body, using: key)
                #expect(request.headers["x-medicineman-signature"] == "sha256=" + Hex.encode(mac))
                let body = try JSONValue(jsonText: String(decoding: request.body, as: UTF8.self))
                #expect(body["event"] == "backup.failed" && body["id"] == .string(delivery.id.uuidString.lowercased()))
                #expect(body["summary"] == "Backup of web-1 failed: disk full" && body["data"]?["server"] == "web-1")

                // The verification snippet README.md gives receivers accepts it, and refuses a changed body.
                let snippet = try readmeVerificationSnippet()
                let bodyFile = NSTemporaryDirectory() + "/" + TestEnvironment.uniqueName("webhook-body")
                try Data(request.body).write(to: URL(fileURLWithPath: bodyFile))
                let driver =
                    snippet + """

                        import sys
                        body = open(sys.argv[4], "rb").read()
                        headers = {"X-MedicineMan-Timestamp": sys.argv[2], "X-MedicineMan-Signature": sys.argv[3]}
                        print(verify(sys.argv[1], headers, body), verify(sys.argv[1], headers, body + b" "))
                        """
                let signature = request.headers["x-medicineman-signature"] ?? ""
                let answer = try await ChildProcess.run(
                    try TestEnvironment.require("MM_TEST_PYTHON"),
                    ["-c", driver, created.secretHex, timestamp, signature, bodyFile])
                #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines) == "True False")
            }
        }
    }

    @Test func aReceiverThatFailsTwiceGetsExactlyOneAcceptedDelivery() async throws {
        try await WebhookFixture.run { fixture in
            try await withReceiver(script: [500, 503]) { port, log in
                let created = try await fixture.insertWebhook(url: "http://localhost:\(port)/hook")
                try await fixture.withWorker { notifier in
                    await notifier.notify(testEvent())
                    let items = try await fixture.waitForDeliveries(of: created.webhook.id) { $0.first?.status == .delivered }
                    #expect(items.first?.status == .delivered && items.first?.attempts == 3 && items.first?.responseCode == 200)
                }
                let requests = await log.requests
                #expect(requests.count == 3 && requests.filter(\.accepted).count == 1)
                // Every attempt is the same delivery, so a receiver can deduplicate on it.
                #expect(Set(requests.compactMap { $0.headers["x-medicineman-delivery"] }).count == 1)
                #expect(requests.first?.headers["host"] == "localhost:\(port)")
            }
            var text = ""
            fixture.metrics.render(into: &text)
            #expect(text.contains(#"medicineman_webhook_deliveries_total{event="backup.failed",result="retried"} 2"#))
            #expect(text.contains(#"medicineman_webhook_deliveries_total{event="backup.failed",result="delivered"} 1"#))
            #expect(text.contains(#"medicineman_webhook_deliveries_total{event="queue.recovered",result="refused"} 0"#))
        }
    }

    @Test func aReceiverThatDripsItsAnswerCannotHoldADeliveryPastTheTimeout() async throws {
        try await WebhookFixture.run { fixture in
            try await fixture.deliveringOnce(to: "/drip", requestTimeout: .seconds(2)) { dripping, _ in
                // Its 200 counts; the body it never finishes is dropped at the timeout.
                let settled = try await fixture.waitForDeliveries(of: dripping.webhook.id, timeout: .seconds(20)) { $0.first?.status == .delivered }
                #expect(settled.first?.status == .delivered && settled.first?.responseCode == 200, "\(settled.first?.status.rawValue ?? "none")")
            }
        }
    }

    @Test(.exclusive) func aReceiverThatNeverAnswersDoesNotHoldUpOthers() async throws {
        try await WebhookFixture.run { fixture in
            let silent = try SilentListener()
            defer { silent.close() }
            try await withReceiver { port, log in
                let stuck = try await fixture.insertWebhook(url: "http://127.0.0.1:\(silent.port)/hook")
                let healthy = try await fixture.insertWebhook(url: "http://127.0.0.1:\(port)/hook", events: ["backup.failed", "backup.completed"])
                var settings = WebhookFixture.testSettings
                settings.attempts = 1
                settings.requestTimeout = .seconds(15)
                try await fixture.withWorker(settings) { notifier in
                    await notifier.notify(testEvent())
                    for _ in 0..<3 { await notifier.notify(testEvent(.backupCompleted, summary: "Backup of web-1 completed")) }
                    let delivered = try await fixture.waitForDeliveries(of: healthy.webhook.id, timeout: .seconds(12)) { items in
                        items.count == 4 && items.allSatisfy { $0.status == .delivered }
                    }
                    #expect(delivered.count == 4 && delivered.allSatisfy { $0.status == .delivered })
                    // ... while the silent receiver still holds its delivery.
                    #expect(try await fixture.deliveries.list(webhookId: stuck.webhook.id).items.first?.status == .pending)
                    // The per-request timeout ends it.
                    let ended = try await fixture.waitForDeliveries(of: stuck.webhook.id) { $0.first?.status == .failed }
                    #expect(
                        ended.first?.status == .failed && ended.first?.error?.contains("did not answer") == true,
                        "\(ended.first?.status.rawValue ?? "none"): \(ended.first?.error ?? "no error")")
                }
                #expect(await log.requests.count == 4)
            }
        }
    }

    /// A delivery no attempt has changed for twice the longest wait between attempts is settled as
    /// failed when its job will not run again (gone from Redis, or ended while its outcome could
    /// not be written), so it does not stay pending for ever out of the pruner's reach; one whose
    /// job still waits (here in a paused queue) is left for its attempt.
    @Test func aDeliveryWhoseJobWillNotRunAgainIsSettled() async throws {
        #expect(WebhookDeliverySettings().abandonedAfter == .milliseconds(42_000 * 1024 * 2), "23.9 h with the defaults")
        try await WebhookFixture.run { fixture in
            let ended = try await fixture.insertWebhook(url: "http://127.0.0.1:9/hook", events: ["backup.completed"])
            var once = WebhookFixture.testSettings
            once.attempts = 1
            try await fixture.withWorker(once) { notifier in
                await notifier.notify(testEvent(.backupCompleted))
                try await fixture.waitForDeliveries(of: ended.webhook.id) { $0.first?.status == .failed }
            }
            let waiting = try await fixture.insertWebhook(url: "http://127.0.0.1:9/hook")
            let removed = try await fixture.insertWebhook(url: "http://127.0.0.1:9/hook")
            let notifier = try fixture.notifier()
            try await notifier.queue.pause()
            await notifier.notify(testEvent())
            func delivery(_ hook: CreatedWebhook) async throws -> WebhookDelivery {
                try #require(try await fixture.deliveries.list(webhookId: hook.webhook.id).items.first)
            }
            _ = try await notifier.queue.remove(try await delivery(removed).id.lowercasedString)
            // Its last outcome "could not be written": the row still says retrying.
            try await fixture.database.query("UPDATE webhook_deliveries SET status = 'retrying' WHERE id = $1", [try await delivery(ended).id])
            #expect(await notifier.settleAbandoned() == 0, "nothing is old enough yet")
            try await fixture.database.query("UPDATE webhook_deliveries SET updated_at = now() - interval '10 minutes'")
            #expect(await notifier.settleAbandoned() == 2)
            #expect(try await delivery(waiting).status == .pending, "its job still waits")
            #expect(try await delivery(removed).error?.contains("its job is gone from notify-queue") == true)
            #expect(try await delivery(ended).error?.contains("its job ended without its outcome recorded") == true)
            #expect(try await [delivery(removed), delivery(ended)].allSatisfy { $0.status == .failed })
            #expect(fixture.logs.all.contains("settled deliveries no attempt changed"))
        }
    }

    /// The notification service's upkeep runs the settling and the sealing of plain URLs by itself.
    @Test func theDeliveryServiceSettlesAndSealsOnItsOwn() async throws {
        try await WebhookFixture.run { fixture in
            let id = UUID()
            let secret = try fixture.vault.sealWebhookSecret(CredentialVault.generateWebhookSecret(), webhookId: id)
            try await fixture.database.query(
                "INSERT INTO webhooks (id, url, events, secret_ciphertext, secret_key_id) VALUES ($1, $2, $3, $4, $5)",
                [id, "http://127.0.0.1:9/hook?token=plain-credential", ["backup.completed"], secret.ciphertext, secret.keyId])
            let notifier = try fixture.notifier()
            await notifier.notify(testEvent(.backupCompleted))
            let delivery = try #require(try await fixture.deliveries.list(webhookId: id).items.first)
            _ = try await notifier.queue.remove(delivery.id.lowercasedString)
            try await fixture.database.query("UPDATE webhook_deliveries SET updated_at = now() - interval '10 minutes'")
            let deliverer = WebhookDeliverer(
                webhooks: fixture.webhooks, deliveries: fixture.deliveries, settings: WebhookFixture.testSettings, logger: fixture.logs.logger)
            let service = WebhookDeliveryService(
                notifier: notifier, deliverer: deliverer, settings: WebhookFixture.testSettings, interval: .milliseconds(50),
                upkeepInterval: .milliseconds(100), logger: fixture.logs.logger)
            let running = Task { try await service.run() }
            let (settled, sealed) = try await withCleanup { () async throws -> (Bool, Bool) in
                let settled = try await eventually { try await fixture.deliveries.find(id: delivery.id)?.status == .failed }
                let sealed = try await eventually { try await fixture.database.query("SELECT 1 FROM webhooks WHERE url IS NULL").rows.count == 1 }
                return (settled, sealed)
            } cleanup: {
                running.cancel()
                _ = try? await running.value
            }
            #expect(settled && sealed)
            #expect(try await fixture.webhooks.url(for: id) == "http://127.0.0.1:9/hook?token=plain-credential")
            #expect(!fixture.logs.all.contains("plain-credential"))
        }
    }
}

/// The ```python block of README.md's Notifications section.
func readmeVerificationSnippet() throws -> String {
    let readme = try String(contentsOfFile: try TestEnvironment.require("MM_TEST_ROOT") + "/README.md", encoding: .utf8)
    guard let section = readme.range(of: "## Notifications"), let start = readme.range(of: "```python\n", range: section.upperBound..<readme.endIndex),
        let end = readme.range(of: "```", range: start.upperBound..<readme.endIndex)
    else {
        throw TestEnvironment.Missing(name: "a ```python block in README.md's Notifications section")
    }
    return String(readme[start.upperBound..<end.lowerBound])
}

func hexBytes(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count.isMultiple(of: 2) else { return nil }
    var bytes: [UInt8] = []
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let high = Hex.value(of: digits[index]), let low = Hex.value(of: digits[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
    }
    return bytes
}

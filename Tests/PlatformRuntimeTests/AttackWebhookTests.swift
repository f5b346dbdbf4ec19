import AsyncHTTPClient
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import NIOCore
import NIOHTTP1
import Notifications
import PostgresClient
import Records
import ServerJobs
import TestSupport
import Testing

/// Server-side request forgery and secret leaks through webhooks. No test here sends a packet
/// beyond loopback: refusals happen before any connection.
@Suite struct AttackWebhookTests {
    static let forbiddenTargets = [
        "http://127.0.0.1/hook", "http://127.8.9.10:8080/hook", "http://10.0.0.1/hook", "http://172.16.0.1/", "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0:3000/", "http://224.0.0.1/",
        "http://255.255.255.255/", "http://[::1]:3000/", "http://[::]/", "http://[fe80::1]/", "http://[fd00::1]/", "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://[::ffff:10.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[64:ff9b:1::808:808]/", "http://[::ffff:0:808:808]/",
        "http://[2002:7f00:1::1]/", "http://[::127.0.0.1]/",
        // Numeric hosts that resolvers read as 127.0.0.1.
        "http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://017700000001/", "http://0177.0.0.1/",
        // Credentials, other schemes, zone ids, odd authorities.
        "http://user:pass@hooks.example.com/", "https://hooks.example.com@127.0.0.1/", "ftp://hooks.example.com/x",
        "file:///etc/passwd/xx", "gopher://127.0.0.1:6379/_PING", "http://[fe80::1%25eth0]/", "http://hooks.example.com:0/",
        "http://hooks.example.com:99999/", "http:/\\/127.0.0.1/", "//hooks.example.com/path",
    ]

    @Test func privateAndMalformedTargetsAreRefusedAtCreation() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client in
                for url in Self.forbiddenTargets {
                    let body = JSONValue.object(["url": .string(url), "events": ["backup.failed"]]).jsonText
                    try await client.execute(uri: "/api/webhooks", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: body)) { response throws in
                        #expect(response.status == .badRequest, "\(url) was accepted")
                        #expect(try json(response)["error"]?["details"]?["fields"] == ["url"], "\(url)")
                    }
                }
                // Public literals and names pass creation (names are checked when delivering).
                for url in ["https://93.184.216.34/hook", "https://hooks.example.com/services/x", "http://[2606:4700::1111]:8443/h?x=1"] {
                    let body = JSONValue.object(["url": .string(url), "events": ["backup.failed"]]).jsonText
                    try await client.execute(uri: "/api/webhooks", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: body)) { response throws in
                        #expect(response.status == .created, "\(url) was refused")
                    }
                }
            }
        }
    }

    @Test func namesAndLiteralsResolvingToPrivateAddressesAreRefusedWhenDelivering() async throws {
        // The guard alone, for addresses no test may send to: it refuses before any connection.
        let strict = WebhookAddressGuard(allowPrivate: false)
        for url in ["http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/", "http://localhost:9/"] {
            await #expect(throws: WebhookRefusal.self, "\(url)") { _ = try await strict.checkedAddresses(of: try WebhookTarget(parsing: url)) }
        }
        try await WebhookFixture.run { fixture in
            try await withReceiver { port, log in
                // Rows as an older version or a direct database edit might have left them.
                var ids: [UUID] = []
                for url in ["http://127.0.0.1:\(port)/hook", "http://localhost:\(port)/hook", "http://[::1]:\(port)/hook"] {
                    ids.append(try await fixture.insertWebhook(url: url).webhook.id)
                }
                var settings = WebhookFixture.testSettings
                settings.allowPrivateTargets = false
                try await fixture.withWorker(settings) { notifier in
                    await notifier.notify(testEvent())
                    for id in ids {
                        let items = try await fixture.waitForDeliveries(of: id) { $0.first?.status == .refused }
                        #expect(items.first?.status == .refused && items.first?.attempts == 1, "\(items)")
                        #expect(items.first?.error?.contains("WEBHOOK_ALLOW_PRIVATE") == true)
                    }
                }
                #expect(await log.requests.isEmpty)
            }
            var text = ""
            fixture.metrics.render(into: &text)
            #expect(text.contains(#"medicineman_webhook_deliveries_total{event="backup.failed",result="refused"} 3"#))
        }
    }

    /// DNS rebinding: the address checked is the address connected to. A name that resolves
    /// elsewhere by the time of the request (here: not at all) still reaches the checked address,
    /// and the request still names the host.
    @Test func aDeliveryConnectsToTheAddressItCheckedNotWhereTheNameLeadsLater() async throws {
        try await WebhookFixture.run { fixture in
            try await withReceiver { port, log in
                let status = try await Self.post(to: "rebound.invalid", port: port, at: [.v4([127, 0, 0, 1])], fixture)
                #expect(status == 200)
                #expect(await log.requests.first?.headers["host"] == "rebound.invalid:\(port)")
            }
        }
    }

    /// POSTs `{}` to `http://<name>:<port>/hook` the way a delivery sends: pinned to `addresses`.
    static func post(to name: String, port: Int, at addresses: [IPAddress], _ fixture: WebhookFixture) async throws -> Int {
        let deliverer = WebhookDeliverer(
            webhooks: fixture.webhooks, deliveries: fixture.deliveries, settings: WebhookFixture.testSettings, logger: fixture.logs.logger)
        let target = try WebhookTarget(parsing: "http://\(name):\(port)/hook")
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: "{}"))
        return try await deliverer.send(request, to: target, at: addresses)
    }

    /// A name with several checked addresses: one that refuses the connection gives way to the
    /// next, as a client resolving the name itself would (pinning must not lose that).
    @Test func anAddressThatRefusesGivesWayToTheNextCheckedOne() async throws {
        try await WebhookFixture.run { fixture in
            try await withReceiver { port, log in
                // The receiver listens on 127.0.0.1 only: 127.0.0.2 refuses.
                let status = try await Self.post(to: "two-addresses.invalid", port: port, at: [.v4([127, 0, 0, 2]), .v4([127, 0, 0, 1])], fixture)
                #expect(status == 200)
                #expect(await log.requests.count == 1)
            }
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await WebhookFixture.run { fixture in
            try await fixture.deliveringOnce(to: "/redirect") { created, log in
                let items = try await fixture.waitForDeliveries(of: created.webhook.id) { $0.first?.status == .failed }
                #expect(items.first?.status == .failed && items.first?.responseCode == 302)
                #expect(items.first?.error?.contains("redirect") == true)
                #expect(await log.requests.isEmpty)  // /hook, where the redirect pointed, saw nothing
            }
        }
    }

    @Test func theSecretIsShownOnceAndNeverAgain() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            let secret = try await app.test(.router) { client in
                let body = #"{"url":"https://hooks.example.com/services/T0/B0/pathtoken123","events":["backup.failed"]}"#
                let (id, secret) = try await client.execute(
                    uri: "/api/webhooks", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: body)
                ) { response throws in
                    let data = try json(response)["data"]
                    return (data?["id"]?.stringValue ?? "", data?["secret"]?.stringValue ?? "")
                }
                #expect(secret.count == 64)
                for (uri, method) in [("/api/webhooks/\(id)", HTTPRequest.Method.get), ("/api/webhooks", .get), ("/api/webhooks/\(id)/deliveries", .get)] {
                    try await client.execute(uri: uri, method: method, headers: fixture.headers(.admin)) { response throws in
                        let text = String(buffer: response.body)
                        #expect(response.status == .ok && !text.contains(secret) && !text.contains("\"secret\""), "\(uri)")
                        #expect(!text.contains("pathtoken123"), "\(uri) shows the URL's path")
                    }
                }
                try await client.execute(
                    uri: "/api/webhooks/\(id)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"enabled":false}"#)
                ) { response throws in
                    #expect(!String(buffer: response.body).contains(secret))
                }
                return secret
            }
            let rows = try await fixture.database.query("SELECT secret_ciphertext FROM webhooks").rows.map { try $0.decode("secret_ciphertext", as: String.self) }
            #expect(rows.count == 1 && rows.allSatisfy { !$0.contains(secret) })
            // Neither is the URL's path stored readable: the row keeps its origin and a ciphertext.
            let stored = try await fixture.database.query("SELECT row_to_json(webhooks)::text AS row FROM webhooks").rows.map { try $0.decode("row", as: String.self) }
            #expect(stored.count == 1 && stored.allSatisfy { !$0.contains("pathtoken123") && $0.contains("\"url_origin\":\"https://hooks.example.com\"") })
            // The audit log names the target's host, not its path (a Slack URL's path is a credential).
            let audit = try await fixture.database.query("SELECT details::text AS details FROM audit_log WHERE resource_type = 'webhook'").rows
                .map { try $0.decode("details", as: String.self) }
            #expect(!audit.isEmpty && audit.allSatisfy { !$0.contains("pathtoken123") && !$0.contains(secret) && $0.contains("hooks.example.com") })
        }
    }

    @Test func deliveriesCarryNoSecretInJobsRowsOrLogs() async throws {
        try await WebhookFixture.run { fixture in
            try await withReceiver(script: [500]) { port, _ in
                // The query stands for a URL's credential (Slack's is in the path).
                let created = try await fixture.insertWebhook(url: "http://127.0.0.1:\(port)/hook?token=url-credential-77", format: .slack)
                try await fixture.withWorker { notifier in
                    await notifier.notify(testEvent(summary: "Backup failed: <!channel> & <https://evil.example|click>"))
                    let items = try await fixture.waitForDeliveries(of: created.webhook.id) { $0.first?.status == .delivered }
                    let delivery = try #require(items.first)
                    let job = try #require(try await fixture.queue().getJob(delivery.id.uuidString.lowercased()))
                    #expect(job.data?.objectValue?.keys.sorted() == ["deliveryId", "webhookId"])
                    #expect(!job.rawData.contains(created.secretHex) && !delivery.payload.jsonText.contains(created.secretHex))
                    #expect(!job.rawData.contains("url-credential-77") && !(delivery.error ?? "").contains("url-credential-77"))
                    // Slack reads <…> as mentions and links: what a server wrote cannot ping a channel.
                    let text = String(decoding: WebhookBody.render(delivery, format: .slack), as: UTF8.self)
                    #expect(text.contains("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;") && !text.contains("<!channel>"))
                }
                let logs = fixture.logs.all
                #expect(logs.contains("webhook delivery attempt failed"))  // the logs were captured
                #expect(!logs.contains(created.secretHex) && !logs.contains("url-credential-77"))
            }
        }
    }

    /// A sealed URL that will not open (copied from another webhook, or sealed under a key since
    /// dropped) is a failed attempt like any other, so the last one settles the row; an
    /// unreachable target's error names its host only. Neither shows the URL's credential.
    @Test func aURLThatWillNotOpenOrCannotBeReachedFailsWithoutShowingIt() async throws {
        try await WebhookFixture.run { fixture in
            let unreachable = try await fixture.insertWebhook(url: "http://127.0.0.1:9/hook?token=url-credential-88")
            let swapped = try await fixture.insertWebhook(url: "http://127.0.0.1:9/other?token=url-credential-99")
            try await fixture.database.query(
                "UPDATE webhooks SET url_ciphertext = (SELECT url_ciphertext FROM webhooks WHERE id = $1) WHERE id = $2",
                [unreachable.webhook.id, swapped.webhook.id])
            var settings = WebhookFixture.testSettings
            settings.attempts = 1
            try await fixture.withWorker(settings) { notifier in
                await notifier.notify(testEvent())
                // Port 9 refuses on loopback; a filtered one would time out ("did not answer"): either names the host only.
                for (hook, expected) in [(unreachable, ["could not reach 127.0.0.1", "127.0.0.1 did not answer"]), (swapped, ["URL cannot be opened"])] {
                    let items = try await fixture.waitForDeliveries(of: hook.webhook.id) { $0.first?.status == .failed }
                    let error = items.first?.error ?? ""
                    #expect(items.first?.status == .failed && expected.contains { error.contains($0) }, "\(error)")
                    #expect(!error.contains("url-credential"), "\(error)")
                }
            }
            #expect(!fixture.logs.all.contains("url-credential"))
        }
    }

    /// A URL an earlier version stored in the clear (before migration 0019) is still delivered
    /// until the next start seals it, and the notification service's pass seals it meanwhile.
    @Test func aPlainURLFromAnEarlierVersionIsDeliveredAndSealed() async throws {
        try await WebhookFixture.run { fixture in
            try await withReceiver { port, log in
                let id = UUID()
                let secret = try fixture.vault.sealWebhookSecret(CredentialVault.generateWebhookSecret(), webhookId: id)
                try await fixture.database.query(
                    "INSERT INTO webhooks (id, url, events, secret_ciphertext, secret_key_id) VALUES ($1, $2, $3, $4, $5)",
                    [id, "http://127.0.0.1:\(port)/hook?token=legacy-credential", ["backup.failed"], secret.ciphertext, secret.keyId])
                try await fixture.withWorker { notifier in
                    await notifier.notify(testEvent())
                    let items = try await fixture.waitForDeliveries(of: id) { $0.first?.status == .delivered }
                    #expect(items.first?.status == .delivered)
                    #expect(await log.requests.count == 1)
                    await notifier.sealPlainURLs()
                }
                let row = try #require(try await fixture.database.query("SELECT row_to_json(webhooks)::text AS row FROM webhooks").first)
                #expect(!(try row.decode("row", as: String.self)).contains("legacy-credential"))
                #expect(try await fixture.webhooks.url(for: id) == "http://127.0.0.1:\(port)/hook?token=legacy-credential")
                #expect(fixture.logs.all.contains("sealed webhook URLs stored in the clear"))
            }
        }
    }
}

import Dashboard
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobQueue
import JSONSupport
import PostgresClient
import Records
import TestSupport
import Synchronization
import Testing

/// What a hostile page, a careless operator or a curious viewer would try against the dashboard:
/// writes without the CSRF token, forms posted from elsewhere, markup in stored values, controls a
/// role may not use, a setup link used twice, an open redirect, and a session after sign-out.
@Suite struct AttackDashboardTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test func pagesNeedASessionAndCarryAStrictPolicy() async throws {
        try await DashboardFixture.run { _, client in
            var browser = BrowserClient(client)
            let anonymous = try await browser.send("/servers")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/login?next=/servers")
            let login = try await browser.send("/login")
            #expect(login.status == .ok)
            let policy = try #require(login.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'self'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            let html = String(buffer: login.body)
            #expect(!html.contains("<script>") && !html.contains(" onclick=") && !html.contains(" style="), "no inline code or styles")
            let nonce = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("mm_form_nonce=") })
            #expect(nonce.contains("HttpOnly") && nonce.contains("SameSite=Strict"))
            let api = try await browser.send("/api/jobs")
            #expect(api.status == .unauthorized, "the nonce cookie is no session")
        }
    }

    @Test func signInNeedsTheFormTokenAndGoesThroughTheLoginPath() async throws {
        try await DashboardFixture.run { fixture, client in
            var browser = BrowserClient(client)
            _ = try await browser.send("/login")
            // A form posted from another site has the cookie at best, never the token.
            let forged = try await browser.send("/login", .post, headers: Self.form, body: "username=user-admin&password=password-admin")
            #expect(forged.status == .forbidden)
            #expect(browser.cookies[BrowserSessions.cookieName] == nil)
            var stranger = BrowserClient(client)
            let page = try await browser.send("/login")
            let token = try BrowserClient.hiddenField("csrf", in: String(buffer: page.body))
            let withoutNonce = try await stranger.send("/login", .post, headers: Self.form, body: "csrf=\(token)&username=user-admin&password=password-admin")
            #expect(withoutNonce.status == .forbidden, "a token is bound to its own nonce cookie")
            let wrong = try await browser.signIn("user-admin", "not-the-password")
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("Invalid username or password."))
            let failures = try await fixture.api.dependencies.domain?.audit.list(resourceType: "auth").items ?? []
            #expect(failures.contains { $0.actor == "user-admin" && $0.outcome == .failure }, "the attempt is audited like an API login")
            let right = try await browser.signIn("user-admin", "password-admin")
            #expect(right.status == .seeOther && right.headers[.location] == "/")
            let session = try #require(right.headers[values: .setCookie].first { $0.hasPrefix("\(BrowserSessions.cookieName)=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/") && !session.contains("Secure"))
        }
    }

    /// Says yes to every session cookie that verifies, whatever its version: an identity cache
    /// that has not yet seen a password change, as one may for its lifetime.
    struct StaleSessionCache: TokenAuthenticating {
        let tokens: SessionTokens
        let role: UserRole

        func identity(forBearer token: String, from client: String) async throws -> Identity? { nil }
        func identity(rechecking token: String) async throws -> Identity? { nil }
        func identity(forSessionCookie token: String, from client: String) async throws -> Identity? {
            guard let session = await tokens.verify(token) else { return nil }
            return Identity(userId: session.userId, username: "user-operator", role: role)
        }
    }

    /// A renewal while a cached identity still vouches for an old cookie must not carry the
    /// session across a password change: it would sign the user's new version into a stolen
    /// cookie, which then outlives the change meant to end it.
    @Test func aRenewalDoesNotCarryASessionAcrossAPasswordChange() async throws {
        let tokensBox = Mutex<SessionTokens?>(nil)
        try await DashboardFixture.run(changing: { dependencies in
            guard let tokens = dependencies.domain?.sessions else { return }
            tokensBox.withLock { $0 = tokens }
            dependencies.authenticator = StaleSessionCache(tokens: tokens, role: .operator)
        }) { fixture, client in
            let domain = try #require(fixture.api.dependencies.domain)
            let tokens = try #require(tokensBox.withLock { $0 })
            let user = try #require(try await domain.users.find(username: "user-operator"))
            // Two thirds of the fixture's 60-second life gone: the next page renews it.
            let old = try await tokens.issue(for: user, sessionId: String(repeating: "ab", count: 16), now: Date().addingTimeInterval(-40))
            let cookie: HTTPFields = [.cookie: "\(BrowserSessions.cookieName)=\(old.token)"]
            let before = try await client.execute(uri: "/", method: .get, headers: cookie)
            #expect(before.status == .ok && before.headers[values: .setCookie].contains { $0.hasPrefix("\(BrowserSessions.cookieName)=") })
            _ = try await domain.users.update(id: user.id, password: "a new password")
            let after = try await client.execute(uri: "/", method: .get, headers: cookie)
            #expect(!after.headers[values: .setCookie].contains { $0.hasPrefix("\(BrowserSessions.cookieName)=") }, "no renewal across the change")
        }
    }

    /// Behind TLS the cookies are `Secure` and named `__Host-…`, which a browser takes only from
    /// this host with `Path=/` and no `Domain`: a sibling subdomain that plants a plain-named
    /// session or form cookie (cookie tossing, e.g. to sign the victim in as the attacker) is ignored.
    @Test func behindTLSCookiesAreHostOnlyAndPlantedPlainOnesAreIgnored() async throws {
        try await DashboardFixture.run { _, client in
            let tls: HTTPFields = [HTTPField.Name("X-Forwarded-Proto")!: "https"]
            var behindTLSForm = Self.form
            behindTLSForm[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            var proxied = BrowserClient(client)
            let login = try await proxied.send("/login", headers: tls)
            let nonce = try #require(login.headers[values: .setCookie].first { $0.hasPrefix("__Host-mm_form_nonce=") })
            #expect(nonce.contains("Secure") && nonce.contains("Path=/") && !nonce.lowercased().contains("domain="))
            let proxiedToken = try BrowserClient.hiddenField("csrf", in: String(buffer: login.body))
            let signedIn = try await proxied.send(
                "/login", .post, headers: behindTLSForm, body: "csrf=\(proxiedToken)&username=user-viewer&password=password-viewer")
            #expect(signedIn.status == .seeOther)
            let session = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("__Host-\(BrowserSessions.cookieName)=") })
            #expect(session.contains("Secure") && session.contains("Path=/") && !session.lowercased().contains("domain="))
            #expect(try await proxied.send("/", headers: tls).status == .ok)

            // The same token under the plain name: taken over plain http, ignored behind TLS.
            let token = try #require(proxied.cookies["__Host-\(BrowserSessions.cookieName)"])
            var planted = BrowserClient(client)
            planted.cookies[BrowserSessions.cookieName] = token
            #expect(try await planted.send("/", headers: tls).status == .seeOther, "a plain-named session cookie behind TLS")
            #expect(try await planted.send("/").status == .ok, "the token itself is good")

            // A form nonce planted under the plain name does not vouch for a sign-in behind TLS.
            var attacker = BrowserClient(client)
            let attackerPage = try await attacker.send("/login")
            let attackerToken = try BrowserClient.hiddenField("csrf", in: String(buffer: attackerPage.body))
            var victim = BrowserClient(client)
            let attackerNonce = try #require(attacker.cookies["mm_form_nonce"])
            victim.cookies["mm_form_nonce"] = attackerNonce
            let tossed = try await victim.send(
                "/login", .post, headers: behindTLSForm, body: "csrf=\(attackerToken)&username=user-viewer&password=password-viewer")
            #expect(tossed.status == .forbidden)
            #expect(victim.cookies.keys.allSatisfy { !$0.contains(BrowserSessions.cookieName) })

            // A route that forgets the proxy header still reads the __Host- cookie the browser
            // holds (it sends one only over TLS), not a plain one planted beside it.
            var other = BrowserClient(client)
            try await other.signIn("user-operator", "password-operator")
            let otherSession = try #require(other.cookies[BrowserSessions.cookieName])
            proxied.cookies[BrowserSessions.cookieName] = otherSession
            let me = try await proxied.send("/api/auth/me")
            #expect(me.status == .ok && String(buffer: me.body).contains("user-viewer") && !String(buffer: me.body).contains("user-operator"))
            // Signing out behind TLS clears the __Host- cookie (Secure, expired at once).
            let page = try await proxied.send("/", headers: tls)
            let csrf = try BrowserClient.meta("csrf-token", in: String(buffer: page.body))
            let out = try await proxied.send("/logout", .post, headers: behindTLSForm, body: "csrf=\(csrf)")
            #expect(out.status == .seeOther)
            let cleared = try #require(out.headers[values: .setCookie].first { $0.hasPrefix("__Host-\(BrowserSessions.cookieName)=;") })
            #expect(cleared.contains("Max-Age=0") && cleared.contains("Secure") && cleared.contains("Path=/"))
        }
    }

    @Test func cookieWritesNeedTheSessionsCSRFToken() async throws {
        try await DashboardFixture.run { fixture, client in
            var browser = BrowserClient(client)
            try await browser.signIn("user-admin", "password-admin")
            #expect(!browser.csrf.isEmpty)
            let read = try await browser.send("/api/auth/me")
            #expect(read.status == .ok, "reads need no token")
            let bare = try await browser.send("/api/queues/backup-queue/pause", .post, headers: [.contentType: "application/json"], body: "{}")
            #expect(bare.status == .forbidden)
            #expect(try json(bare)["error"]?["code"] == "csrf_failed")
            let forgedForm = try await browser.send("/api/queues/backup-queue/pause", .post, headers: Self.form, body: "csrf=guess")
            #expect(forgedForm.status == .forbidden)
            let wrong = try await browser.send("/api/queues/backup-queue/pause", .post, headers: [BrowserSessions.csrfHeader: "x" + browser.csrf], body: "{}")
            #expect(wrong.status == .forbidden)
            #expect(try await fixture.api.queues[0].isPaused() == false)
            let right = try await browser.send("/api/queues/backup-queue/pause", .post, headers: [BrowserSessions.csrfHeader: browser.csrf], body: "{}")
            #expect(right.status == .ok)
            #expect(try await fixture.api.queues[0].isPaused())
            // Another session of the same user has a token of its own.
            var second = BrowserClient(client)
            try await second.signIn("user-admin", "password-admin")
            #expect(second.csrf != browser.csrf)
            let crossed = try await second.send("/api/queues/backup-queue/resume", .post, headers: [BrowserSessions.csrfHeader: browser.csrf], body: "{}")
            #expect(crossed.status == .forbidden)
            // The bearer API is unchanged: no cookie, no CSRF token.
            let bearer = try await client.execute(uri: "/api/queues/backup-queue/resume", method: .post, headers: fixture.api.headers(.admin), body: nil)
            #expect(bearer.status == .ok)
        }
    }

    @Test func aViewerSeesNoWriteControlsAndIsRefusedAnyway() async throws {
        try await DashboardFixture.run { fixture, client in
            let domain = try #require(fixture.api.dependencies.domain)
            _ = try await domain.servers.create(NewServer(name: "web-1", host: "127.0.0.1", username: "root", authType: .password, credential: "x"))
            var viewer = BrowserClient(client)
            try await viewer.signIn("user-viewer", "password-viewer")
            for page in ["/", "/jobs", "/servers", "/backups", "/schedules", "/scans", "/updates"] {
                let response = try await viewer.send(page)
                #expect(response.status == .ok, "\(page)")
                let html = String(buffer: response.body)
                #expect(!html.contains("data-api="), "\(page) shows a viewer a control that writes")
            }
            for page in ["/users", "/audit", "/webhooks"] { #expect(try await viewer.send(page).status == .forbidden, "\(page)") }
            let pause = try await viewer.send("/api/queues/backup-queue/pause", .post, headers: [BrowserSessions.csrfHeader: viewer.csrf], body: "{}")
            #expect(pause.status == .forbidden)
            #expect(try json(pause)["error"]?["code"] == "forbidden")
            var admin = BrowserClient(client)
            try await admin.signIn("user-admin", "password-admin")
            let servers = String(buffer: try await admin.send("/servers").body)
            #expect(servers.contains("data-api=\"POST /api/servers\"") && servers.contains("/test\""))
            // A password server without a pinned key says so, and an admin can pin one from the page.
            #expect(servers.contains("a password server needs its key pinned") && servers.contains("data-api=\"PATCH /api/servers/"))
        }
    }

    /// A list page keeps only the filters it accepted in its page links, and clamps the offset.
    @Test func listLinksCarryOnlyAcceptedFilters() async throws {
        try await DashboardFixture.run { fixture, client in
            let audit = try #require(fixture.api.dependencies.domain?.audit)
            for index in 0..<101 {
                try await audit.record(userId: nil, actor: "test", action: "server.create", resourceType: "server", resourceId: "\(index)", outcome: .success)
            }
            var admin = BrowserClient(client)
            try await admin.signIn("user-admin", "password-admin")
            let first = String(buffer: try await admin.send("/audit?type=server&offset=-7").body)
            #expect(first.contains("href=\"/audit?offset=100&amp;type=server\"") && !first.contains("Newer"))
            let second = String(buffer: try await admin.send("/audit?type=server&offset=100").body)
            #expect(second.contains("href=\"/audit?offset=0&amp;type=server\"") && !second.contains("Older"))
            let hostile = String(buffer: try await admin.send("/audit?type=%22%3E%3Cb%3Ex&offset=99999999999").body)
            #expect(!hostile.contains("<b>x") && !hostile.contains("type=%22") && hostile.contains("href=\"/audit?offset=9999900\""))
            let scans = try await admin.send("/scans?serverId=not-an-id")
            #expect(scans.status == .ok && !String(buffer: scans.body).contains("serverId=not-an-id"))
        }
    }

    @Test func webhooksShowTheirDeliveriesButNeverTheirPathsOrSecrets() async throws {
        try await DashboardFixture.run { fixture, client in
            let webhooks = try #require(fixture.api.dependencies.domain?.webhooks)
            let created = try await webhooks.webhooks.create(
                url: "https://hooks.example.com/services/T000/B000/XXXXSECRETPATH", events: ["backup.failed"],
                format: .slack, enabled: true)
            let delivery = try await webhooks.deliveries.create(webhookId: created.webhook.id, event: "backup.failed", payload: ["server": "web-1"])
            _ = try await webhooks.deliveries.recordAttempt(id: delivery.id, status: .failed, responseCode: 500, error: "the receiver answered 500")
            var admin = BrowserClient(client)
            try await admin.signIn("user-admin", "password-admin")
            let response = try await admin.send("/webhooks")
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            #expect(html.contains("https://hooks.example.com") && html.contains("backup.failed") && html.contains("500"))
            #expect(!html.contains("SECRETPATH") && !html.contains(created.secretHex), "a webhook's path or secret is shown")
        }
    }

    @Test func storedValuesAreEscaped() async throws {
        try await DashboardFixture.run { fixture, client in
            let domain = try #require(fixture.api.dependencies.domain)
            _ = try await domain.servers.create(
                NewServer(
                    name: "<script>alert(1)</script>", host: "127.0.0.1", username: "root",
                    authType: .password, credential: "x", tags: ["\"><img src=x onerror=alert(2)>"]))
            var admin = BrowserClient(client)
            try await admin.signIn("user-admin", "password-admin")
            for page in ["/servers", "/jobs", "/schedules"] {
                let html = String(buffer: try await admin.send(page).body)
                #expect(!html.contains("<script>alert(1)") && !html.contains("<img src=x"), "\(page)")
            }
            let html = String(buffer: try await admin.send("/servers").body)
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("&quot;&gt;&lt;img"))
        }
    }

    @Test func signingOutEndsTheSessionEverywhere() async throws {
        try await DashboardFixture.run { _, client in
            var browser = BrowserClient(client)
            try await browser.signIn("user-operator", "password-operator")
            let kept = browser.cookies
            // The session's token is good only in its cookie: as a bearer token (which skips the
            // CSRF check and which signing out could not end) it is nothing.
            let sessionToken = try #require(kept[BrowserSessions.cookieName])
            let asBearer = try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(sessionToken)"])
            #expect(asBearer.status == .unauthorized)
            #expect(try await browser.send("/api/auth/me").status == .ok, "while its cookie still works")
            let forged = try await browser.send("/logout", .post, headers: Self.form, body: "")
            #expect(forged.status == .forbidden, "sign-out needs the token too")
            let out = try await browser.send("/logout", .post, headers: Self.form, body: "csrf=\(browser.csrf)")
            #expect(out.status == .seeOther && browser.cookies[BrowserSessions.cookieName] == nil)
            browser.cookies = kept  // a copied cookie is worth nothing now
            #expect(try await browser.send("/").status == .seeOther)
            #expect(try await browser.send("/api/auth/me").status == .unauthorized)
            let replayed = try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(sessionToken)"])
            #expect(replayed.status == .unauthorized)
        }
    }

    @Test func signingOutEndsTheSessionsLiveStreams() async throws {
        let hub = JobEventHub(limits: .init(keepAlive: .milliseconds(100), credentialRecheck: .milliseconds(100)))
        try await DashboardFixture.run(changing: { $0.eventStreams = hub }) { fixture, client in
            let job = try await fixture.api.queues[0].add("backup:manual", options: JobOptions(jobId: "signed-out-stream"))
            var browser = BrowserClient(client)
            try await browser.signIn("user-operator", "password-operator")
            let cookies = browser.cookieHeader
            let stream = Task { try await client.execute(uri: "/api/jobs/\(job.id)/events", method: .get, headers: cookies) { String(buffer: $0.body) } }
            #expect(try await eventually { hub.openStreams == 1 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(hub.openStreams == 1, "a signed-in session's stream stays open past its checks")
            let out = try await browser.send("/logout", .post, headers: Self.form, body: "csrf=\(browser.csrf)")
            #expect(out.status == .seeOther)
            let text = try await stream.value
            #expect(text.hasPrefix("event: state\n") && text.contains("\"reason\":\"signed_out\""), "got: \(text.prefix(400))")
            #expect(hub.openStreams == 0)
        }
    }

    @Test func theSetupLinkCreatesOneAdminOnce() async throws {
        try await DashboardFixture.run { fixture, client in
            let domain = try #require(fixture.api.dependencies.domain)
            let admin = try #require(try await domain.users.find(username: "user-admin"))
            #expect(try await Dashboard.setupLinkIfNeeded(users: domain.users, redis: fixture.api.redis, baseURL: "http://x") == nil, "an admin exists")
            // The repository keeps the last admin; an install without one (a fresh one) is made in SQL.
            await #expect(throws: RecordError.self) { _ = try await domain.users.delete(id: admin.id) }
            _ = try await fixture.api.database.query("DELETE FROM users WHERE id = $1", [admin.id])
            let link = try #require(try await Dashboard.setupLinkIfNeeded(users: domain.users, redis: fixture.api.redis, baseURL: "http://x"))
            let path = String(link.dropFirst("http://x".count))
            var browser = BrowserClient(client)
            #expect(try await browser.send("/setup?token=" + String(repeating: "0", count: 64)).status == .notFound)
            let page = try await browser.send(path)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            let body =
                "csrf=\(try BrowserClient.hiddenField("csrf", in: html))&token=\(try BrowserClient.hiddenField("token", in: html))"
                + "&username=first-admin&password=long-enough-1&confirm=long-enough-1"
            let mismatch = try await browser.send("/setup", .post, headers: Self.form, body: body.replacingOccurrences(of: "confirm=long-enough-1", with: "confirm=other"))
            #expect(mismatch.status == .badRequest)
            // Each form shown carries a new token (bound to a new nonce cookie).
            let retry = body.replacingOccurrences(
                of: "csrf=[^&]*", with: "csrf=\(try BrowserClient.hiddenField("csrf", in: String(buffer: mismatch.body)))",
                options: .regularExpression)
            let stale = try await browser.send("/setup", .post, headers: Self.form, body: body)
            #expect(stale.status == .forbidden, "the token of a form no longer shown")
            let created = try await browser.send("/setup", .post, headers: Self.form, body: retry)
            #expect(created.status == .seeOther && browser.cookies[BrowserSessions.cookieName] != nil)
            #expect(try await domain.users.find(username: "first-admin")?.role == .admin)
            var again = BrowserClient(client)
            #expect(try await again.send(path).status == .gone, "the link is used up once an admin exists")
            let againToken = try BrowserClient.hiddenField("csrf", in: String(buffer: try await again.send("/login").body))
            let replay = body.replacingOccurrences(of: "csrf=[^&]*", with: "csrf=\(againToken)", options: .regularExpression)
                .replacingOccurrences(of: "first-admin", with: "second-admin")
            let second = try await again.send("/setup", .post, headers: Self.form, body: replay)
            #expect(second.status == .gone)
            #expect(try await domain.users.find(username: "second-admin") == nil)
        }
    }

    @Test func signInRedirectsOnlyToLocalPaths() async throws {
        try await DashboardFixture.run { _, client in
            for (next, expected) in [("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil.example", "/"), ("/jobs?state=failed", "/jobs?state=failed")] {
                var browser = BrowserClient(client)
                let page = try await browser.send("/login")
                let token = try BrowserClient.hiddenField("csrf", in: String(buffer: page.body))
                let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await browser.send(
                    "/login", .post, headers: Self.form,
                    body: "csrf=\(token)&next=\(encoded)&username=user-viewer&password=password-viewer")
                #expect(response.headers[.location] == expected, "\(next)")
            }
        }
    }
}

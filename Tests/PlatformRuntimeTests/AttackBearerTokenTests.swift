import BlockingIO
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import Logging
import PostgresClient
import Records
import TestSupport
import Testing

/// Bearer tokens as an attacker makes them up. The digests of the live tokens, held in memory,
/// refuse them without a lookup each; behind that, the tokens that do cost a PostgreSQL lookup
/// (revoked or expired ones, or all of them without the digests, as the first tests run it) are
/// bounded: how many lookups a network gets, and how many run at once.
@Suite struct AttackBearerTokenTests {
    /// A report whose detail shows only to a caller with a valid token.
    struct DetailedReady: ReadinessChecking {
        func checkReadiness() async -> ReadinessReport {
            ReadinessReport(checks: ["postgres": .init(ok: true, detail: "db.internal:5432")])
        }
    }

    /// A token of the right shape that nobody was given.
    static func madeUp() -> String {
        "mm_" + Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func aNetworkThatGuessesTokensIsHeldBackWithoutLookups() async throws {
        try await APIFixture.run { fixture in
            let lookups = TokenLookupSlots()
            let app = try fixture.app {
                $0.authenticator = PlatformAuthenticator(
                    users: UserRepository(database: fixture.database), sessions: nil, cache: IdentityCache(), lookups: lookups,
                    badTokens: BadTokenLimit(perMinute: 5))
                $0.readiness = DetailedReady()
            }
            try await app.test(.router) { client in
                // Valid tokens before the guessing are served (and cached), and see `/ready`'s details.
                try await client.expect(.ok, .get, "/api/servers", headers: fixture.headers(.viewer))
                let detailed = try await client.expect(.ok, .get, "/ready", headers: fixture.headers(.admin))
                #expect(detailed["checks"]?["postgres"]?["detail"] == "db.internal:5432")
                for _ in 0..<5 { try await client.expect(.unauthorized, .get, "/api/servers", headers: Self.bearer(Self.madeUp())) }
                let (status, retryAfter, body) = try await client.execute(uri: "/api/servers", method: .get, headers: Self.bearer(Self.madeUp())) {
                    ($0.status, $0.headers[.retryAfter], try json($0))
                }
                #expect(status == .tooManyRequests)
                #expect(body["error"]?["code"] == "too_many_bad_tokens")
                #expect((1...60).contains(Int(retryAfter ?? "") ?? 0))
                // Text that is no token at all costs nothing: refused as it was, without a lookup.
                try await client.expect(.unauthorized, .get, "/api/servers", headers: Self.bearer("mm_' OR 1=1 --"))
                // A token this network already proved still works; one it has not must wait out the minute.
                try await client.expect(.ok, .get, "/api/servers", headers: fixture.headers(.viewer))
                try await client.expect(.tooManyRequests, .get, "/api/servers", headers: fixture.headers(.operator))
                // `/ready` still answers, redacted, for a token it cannot look up now.
                let redacted = try await client.expect(.ok, .get, "/ready", headers: fixture.headers(.operator))
                #expect(redacted["checks"]?["postgres"]?["detail"] == "ok")
            }
            // The two valid tokens and the five guesses; nothing once the network was held back.
            #expect(lookups.checksAnswered == 7)
        }
    }

    /// 60 made-up tokens at once from one network: those that queued for a slot before the limit
    /// was reached check it again once they hold one, so the network gets its 5 lookups and at
    /// most one more (the other slot's), not 60.
    @Test func aBurstFromOneNetworkCannotOvershootItsLimit() async throws {
        try await APIFixture.run { fixture in
            let lookups = TokenLookupSlots(limit: 2, wait: .seconds(60))
            let app = try fixture.app {
                $0.authenticator = PlatformAuthenticator(
                    users: UserRepository(database: fixture.database), sessions: nil, lookups: lookups, badTokens: BadTokenLimit(perMinute: 5))
            }
            let statuses = try await app.test(.router) { client in
                try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<60 {
                        group.addTask { try await client.execute(uri: "/api/servers", method: .get, headers: Self.bearer(Self.madeUp())) { $0.status } }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            let unauthorized = statuses.filter { $0 == .unauthorized }.count
            #expect((5...6).contains(lookups.checksAnswered), "\(lookups.checksAnswered) lookups")
            #expect(unauthorized == lookups.checksAnswered)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 60 - unauthorized)
        }
    }

    /// 150 made-up tokens at once, with no per-network limit (many addresses), over an
    /// authenticator whose pool could open 8 connections: the lookups hold at most their 2 slots,
    /// so PostgreSQL sees at most 2 connections from it, and a valid token in the flood is served.
    @Test func aFloodOfMadeUpTokensHoldsAtMostTheLookupSlots() async throws {
        try await APIFixture.run { fixture in
            var configuration = fixture.database.configuration
            configuration.applicationName = TestEnvironment.uniqueName("mmtokens")
            let lookupPool = PostgresPool(configuration: configuration, options: .init(maxConnections: 8), logger: testLogger("test.tokens", level: .critical))
            let authenticator = PlatformAuthenticator(
                users: UserRepository(database: lookupPool), sessions: nil, lookups: TokenLookupSlots(limit: 2, wait: .seconds(60)))
            let app = try fixture.app { $0.authenticator = authenticator }
            let valid = try #require(fixture.tokens[.viewer])
            try await withCleanup {
                let statuses = try await app.test(.router) { client in
                    try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                        for index in 0..<150 {
                            let token = index == 75 ? valid : Self.madeUp()
                            group.addTask { try await client.execute(uri: "/api/servers", method: .get, headers: Self.bearer(token)) { $0.status } }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                }
                #expect(statuses.filter { $0 == .unauthorized }.count == 149)
                #expect(statuses.filter { $0 == .ok }.count == 1)
                let connections = try await fixture.database.query(
                    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [configuration.applicationName]
                ).first?.decode("n", as: Int.self)
                #expect((1...2).contains(connections ?? 0), "\(connections ?? 0) connections looked tokens up")
            } cleanup: {
                await lookupPool.close()
            }
        }
    }

    /// 300 made-up tokens at once from 300 networks (beyond any per-network limit): the digests
    /// of the live tokens refuse them from memory, so not one costs a lookup, and the reloads that
    /// confirm the misses are shared. A token made after the digests were read (as by another
    /// process) works on its first use; a revoked one is looked up, and counted, until the next
    /// full read drops it.
    @Test func madeUpTokensFromManyNetworksCostNoLookups() async throws {
        try await APIFixture.run { fixture in
            let users = UserRepository(database: fixture.database)
            let lookups = TokenLookupSlots()
            let known = KnownTokenDigests(source: users, spacing: .milliseconds(500))
            let authenticator = PlatformAuthenticator(
                users: users, sessions: nil, lookups: lookups, badTokens: BadTokenLimit(perMinute: 5), known: known)
            let refused = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<300 {
                    let network = "2001:db8:\(String(index, radix: 16))::1"
                    group.addTask { try await authenticator.identity(forBearer: Self.madeUp(), from: network) == nil }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(refused == 300)
            #expect(lookups.checksAnswered == 0)
            // One reload a miss would be 300; arrivals within a reload's spacing share the next.
            #expect(known.reloads <= 10, "\(known.reloads) reloads for 300 misses")

            let viewerToken = try #require(fixture.tokens[.viewer])
            let viewer = try #require(try await users.user(forToken: viewerToken)).0
            let fresh = try await users.createToken(userId: viewer.id, name: "made-elsewhere").token
            #expect(try await authenticator.identity(forBearer: fresh, from: "192.0.2.1")?.username == viewer.username)
            #expect(lookups.checksAnswered == 1)

            let tokenId = try #require(try await users.tokens(userId: viewer.id).first { $0.name == "made-elsewhere" }).id
            #expect(try await users.revokeToken(id: tokenId) != nil)
            #expect(try await authenticator.identity(forBearer: fresh, from: "192.0.2.1") == nil)
            #expect(lookups.checksAnswered == 2, "held until the next full read, so looked up")
        }
    }

    /// The platform's own API process: 100 made-up tokens from one address are all 401s, none a
    /// 429 (they cost no lookup, so the per-network limit of lookups that found nothing never
    /// fills), and a token the CLI made afterwards, in another process, works on its first use.
    @Test func theAPIProcessRefusesMadeUpTokensFromMemory() async throws {
        let logger = testLogger("test.tokens", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            var environment = try PlatformProcess.environment(databaseURL: databaseURL)
            environment["BAD_TOKEN_LIMIT_PER_MINUTE"] = "5"
            try await PlatformProcess.run(["api"], environment: environment) { server in
                try await PlatformProcess.createUser("guessed", role: "viewer", password: "guessed-password", environment: environment)
                let url = server.baseURL + "/api/servers"
                var arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "-H", "Authorization: Bearer \(Self.madeUp())", url]
                for _ in 1..<100 { arguments += ["--next", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "-H", "Authorization: Bearer \(Self.madeUp())", url] }
                let statuses = try await ChildProcess.run("/usr/bin/curl", arguments, timeout: .seconds(60)).split(separator: "\n")
                #expect(statuses.count == 100 && statuses.allSatisfy { $0 == "401" }, "\(Set(statuses))")
                let token = try await PlatformProcess.createToken(for: "guessed", name: "cli", environment: environment)
                let status = try await ChildProcess.run(
                    "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)", url], timeout: .seconds(10))
                #expect(status == "200")
            }
        }
    }
}

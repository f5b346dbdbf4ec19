import BlockingIO
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import Logging
import PostgresClient
import Records
import Synchronization
import TestSupport
import Testing

/// Bearer tokens as an attacker makes them up: each one that is not cached costs a PostgreSQL
/// lookup, so how many a caller gets, and how many run at once, is bounded.
@Suite struct AttackBearerTokenTests {
    /// Counts the tokens that reach the authenticator.
    final class CountingAuthenticator: TokenAuthenticating {
        let base: any TokenAuthenticating
        let calls = Atomic<Int>(0)

        init(_ base: any TokenAuthenticating) { self.base = base }

        func identity(forBearer token: String) async throws -> Identity? {
            calls.add(1, ordering: .relaxed)
            return try await base.identity(forBearer: token)
        }
    }

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
            let counting = CountingAuthenticator(fixture.dependencies.authenticator)
            let app = try fixture.app {
                $0.authenticator = counting
                $0.badTokens = BadTokenLimit(perMinute: 5)
                $0.readiness = DetailedReady()
            }
            try await app.test(.router) { client in
                // A valid token before the guessing is served, and sees `/ready`'s details.
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
                // Other junk in the header is held back the same way, with no lookup.
                try await client.expect(.tooManyRequests, .get, "/api/servers", headers: Self.bearer("mm_' OR 1=1 --"))
                // It is the network that is held back: a valid token from it waits out the minute too.
                try await client.expect(.tooManyRequests, .get, "/api/servers", headers: fixture.headers(.viewer))
                // `/ready` still answers, redacted, without a lookup.
                let redacted = try await client.expect(.ok, .get, "/ready", headers: fixture.headers(.admin))
                #expect(redacted["checks"]?["postgres"]?["detail"] == "ok")
            }
            // The valid token twice and the five guesses; nothing once the network was held back.
            #expect(counting.calls.load(ordering: .relaxed) == 7)
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
}

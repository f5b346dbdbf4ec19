import BlockingIO
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import PostgresClient
import Records
import Synchronization
import TestSupport
import Testing

/// Login as an attacker tries it: lock a victim out for good, tell users apart, flood bcrypt.
@Suite struct AttackLoginTests {
    static func login(_ client: some TestClientProtocol, _ username: String, _ password: String) async throws -> (HTTPResponse.Status, JSONValue) {
        let body: JSONValue = ["username": .string(username), "password": .string(password)]
        return try await client.execute(uri: "/api/auth/login", method: .post, body: ByteBuffer(string: body.jsonText)) { response throws in
            (response.status, try json(response))
        }
    }

    @Test func unknownLockedAndWrongPasswordAnswerAlike() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for _ in 0..<5 { _ = try await Self.login(client, "user-viewer", "wrong-password") }
                let locked = try await Self.login(client, "user-viewer", "password-viewer")
                let wrong = try await Self.login(client, "user-operator", "wrong-password")
                let unknown = try await Self.login(client, "nobody-at-all", "wrong-password")
                #expect(locked.0 == .unauthorized && wrong.0 == .unauthorized && unknown.0 == .unauthorized)
                #expect(locked.1 == wrong.1 && wrong.1 == unknown.1)
            }
        }
    }

    @Test func oneFailureAfterALockEndsDoesNotLockAgain() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for _ in 0..<5 { _ = try await Self.login(client, "user-viewer", "wrong-password") }
                // Failures during the lock neither count nor extend it.
                let before = try await fixture.database.query("SELECT locked_until FROM users WHERE username = 'user-viewer'").first?
                    .decode("locked_until", as: Date.self)
                _ = try await Self.login(client, "user-viewer", "wrong-password")
                let after = try await fixture.database.query("SELECT locked_until FROM users WHERE username = 'user-viewer'").first?
                    .decode("locked_until", as: Date.self)
                #expect(before != nil && before == after)
                // The lock ends; one more wrong password starts the count again instead of locking.
                try await fixture.database.query("UPDATE users SET locked_until = now() - interval '1 second' WHERE username = 'user-viewer'")
                _ = try await Self.login(client, "user-viewer", "wrong-password")
                let row = try #require(
                    try await fixture.database.query(
                        "SELECT failed_logins, locked_until FROM users WHERE username = 'user-viewer'"
                    ).first)
                #expect(try row.decode("failed_logins", as: Int.self) == 1)
                #expect(try row.decodeIfPresent("locked_until", as: Date.self) == nil)
                #expect(try await Self.login(client, "user-viewer", "password-viewer").0 == .ok)
            }
        }
    }

    @Test func attemptsAreLimitedPerClientAndPerUsername() async throws {
        try await APIFixture.run { fixture in
            var dependencies = fixture.dependencies
            let prefix = TestEnvironment.uniqueName("mmlogin")
            dependencies.domain?.loginThrottle = LoginThrottle(
                redis: fixture.redis, limits: .init(perClientPerMinute: 100, perUsernamePerMinute: 3),
                prefix: prefix)
            let app = Application(router: try buildRouter(dependencies))
            try await app.test(.router) { client throws in
                // Per username, whether or not it exists: the limit tells nothing about who exists.
                for name in ["user-admin", "no-such-user"] {
                    for _ in 0..<3 { #expect(try await Self.login(client, name, "guess").0 == .unauthorized) }
                    let (status, body) = try await Self.login(client, name, "guess")
                    #expect(status == .tooManyRequests && body["error"]?["code"] == "too_many_logins")
                }
            }
            dependencies.domain?.loginThrottle = LoginThrottle(
                redis: fixture.redis, limits: .init(perClientPerMinute: 4, perUsernamePerMinute: 100),
                prefix: prefix + "b")
            let perClient = Application(router: try buildRouter(dependencies))
            try await perClient.test(.router) { client throws in
                for index in 0..<4 { #expect(try await Self.login(client, "spray-\(index)", "guess").0 == .unauthorized) }
                #expect(try await Self.login(client, "spray-9", "guess").0 == .tooManyRequests)
                let retryAfter = try await client.execute(
                    uri: "/api/auth/login", method: .post,
                    body: ByteBuffer(string: #"{"username":"spray-10","password":"guess"}"#)
                ) { $0.headers[.retryAfter] }
                #expect(Int(retryAfter ?? "") ?? 0 >= 1)
            }
        }
    }

    /// 24 logins at once on a pool of 2 threads admitting 8: bcrypt never starts a thread per
    /// attempt, and the attempts past the bound are told "busy" (503), not served by new threads.
    /// It counts the process's threads, so `scripts/test.sh` runs it with the heavy tests, alone.
    @Test(.exclusive) func bcryptRunsOnABoundedPool() async throws {
        let pool = BlockingPool(threads: 2, maxAdmitted: 8)
        let hasher = PasswordHasher(cost: 10, pool: pool)
        let hash = try await hasher.hash("correct horse battery")
        let before = Self.threadCount()
        let peak = Peak()
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    peak.observe(Self.threadCount())
                    do { return try await hasher.verify("wrong guess", hash: hash) ? "match" : "refused" } catch { return "busy" }
                }
            }
            group.addTask {
                for _ in 0..<20 { peak.observe(Self.threadCount()); try? await Task.sleep(for: .milliseconds(20)) }
                return "sampler"
            }
            var all: [String] = []
            for await outcome in group where outcome != "sampler" { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == 24 && !outcomes.contains("match"))
        #expect(outcomes.filter { $0 == "refused" }.count >= 8)
        #expect(outcomes.contains("busy"))
        // The pool's 2 threads, plus slack for whatever else the test process starts meanwhile.
        #expect(peak.value - before <= 8, "threads grew from \(before) to \(peak.value)")
        // Empty and NUL-bearing passwords never verify.
        #expect(try await hasher.verify("", hash: hash) == false)
        #expect(try await hasher.verify("correct horse battery\u{0}tail", hash: hash) == false)
    }

    static func threadCount() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("Threads:") }.flatMap { Int($0.split(separator: "\t").last ?? "") } ?? 0
    }
}

/// The highest value seen, from many tasks.
final class Peak: Sendable {
    private let highest = Mutex<Int>(0)
    func observe(_ value: Int) { highest.withLock { $0 = max($0, value) } }
    var value: Int { highest.withLock { $0 } }
}

import BlockingIO
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import JobQueue
import Logging
import NIOCore
import PlatformRuntime
import Records
import Scheduling
import TestSupport
import Testing

/// The smaller holes: slow clients, configuration that crashed, secrets in probes, bare 404s,
/// a connection test that failed as a 5xx, and a cron a tab slipped through.
@Suite struct AttackHTTPTests {
    /// 20 clients that never finish their requests: the server closes every connection.
    @Test(.exclusive) func halfSentRequestsAreCutOff() async throws {
        let logger = testLogger("test.slow", level: .critical)
        try await TestEnvironment.withScratchDatabaseURL(logger: logger) { databaseURL in
            var environment = try PlatformProcess.environment(databaseURL: databaseURL)
            environment["HTTP_IDLE_TIMEOUT_SECONDS"] = "2"
            environment["HTTP_READ_TIMEOUT_SECONDS"] = "3"
            let server = try await PlatformProcess(["api"], environment: environment)
            let port = server.port
            let closed = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        await BlockingWork.run {
                            // Half the clients stop inside the head; the others trickle a body forever.
                            let trickle = index.isMultiple(of: 2)
                            let start =
                                trickle
                                ? "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
                                : "GET /health HTTP/1.1\r\nHost: x\r\n"
                            return SlowClient.isClosedByServer(port: port, start: start, trickle: trickle, within: 15)
                        }
                    }
                }
                var results: [Bool] = []
                for await result in group { results.append(result) }
                return results
            }
            #expect(closed.count == 20 && closed.allSatisfy { $0 }, "connections the server kept open: \(closed.filter { !$0 }.count)")
            try await server.stop()
        }
    }

    /// API answers hold records and tokens: no cache keeps them, and no browser runs them as a page.
    @Test func apiAnswersAreNeverCachedOrSniffed() async throws {
        try await APIFixture.run { fixture in
            try await fixture.app().test(.router) { client in
                for (uri, headers, status) in [
                    ("/api/auth/me", fixture.headers(.viewer), HTTPResponse.Status.ok), ("/api/auth/me", [:], .unauthorized),
                    ("/api/jobs/not%20an%20id", fixture.headers(.viewer), .badRequest),
                ] {
                    try await client.execute(uri: uri, method: .get, headers: headers) { response in
                        #expect(response.status == status, "\(uri)")
                        #expect(response.headers[.cacheControl] == "no-store" && response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    }
                }
            }
        }
    }

    @Test func malformedEncryptionKeysAreConfigurationErrors() {
        for bad in [
            String(repeating: "+0", count: 32), String(repeating: "é", count: 64), String(repeating: "é", count: 32),
            String(repeating: "0", count: 63) + "g", String(repeating: " 0", count: 32), String(repeating: "0", count: 66),
        ] {
            #expect(throws: ConfigurationError.self) { try PlatformConfiguration(environment: ["ENCRYPTION_KEY": bad]) }
            #expect(throws: RecordError.self) { try EncryptionKey(hex: bad) }
        }
        #expect(throws: ConfigurationError.self) { try PlatformConfiguration(environment: ["SESSION_SECRET": "short"]) }
        #expect((try? EncryptionKey(hex: String(repeating: "Ab", count: 32))) != nil)
    }

    @Test func cronFieldsAreCountedAsTheParserReadsThem() {
        #expect(throws: ScheduleFieldError.self) { try ScheduleTiming(cron: "0\t0 * * * *", timezone: "UTC") }
        #expect(throws: ScheduleFieldError.self) { try ScheduleTiming(cron: "0 0\n* * * *", timezone: "UTC") }
        #expect((try? ScheduleTiming(cron: "30  2 * * *", timezone: "UTC"))?.expression == "30 2 * * *")
    }

    struct DetailedReadiness: ReadinessChecking {
        func checkReadiness() async -> ReadinessReport {
            ReadinessReport(checks: [
                "redis": .init(ok: true, detail: "PING answered at redis://***@10.9.8.7:6379/0"),
                "postgres": .init(ok: false, detail: "cannot connect to postgres://medicine:***@db.internal:5432/mm"),
            ])
        }
    }

    @Test func probesShowDetailsOnlyToCallersWithAToken() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app {
                $0.readiness = DetailedReadiness()
                $0.metricsToken = "scrape-token-0123456789"
            }
            try await app.test(.router) { client throws in
                let anonymous = try await client.execute(uri: "/ready", method: .get) { response throws in
                    #expect(response.status == .serviceUnavailable)
                    return String(buffer: response.body)
                }
                #expect(!anonymous.contains("10.9.8.7") && !anonymous.contains("db.internal") && !anonymous.contains("medicine:"))
                #expect(anonymous.contains("unavailable"))
                for headers in [fixture.headers(.viewer), [.authorization: "Bearer scrape-token-0123456789"]] as [HTTPFields] {
                    let detailed = try await client.execute(uri: "/ready", method: .get, headers: headers) { String(buffer: $0.body) }
                    #expect(detailed.contains("db.internal"))
                }
                let metrics = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-token-012345678"]) { $0.status }
                #expect(metrics == .unauthorized)
                let scraped = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-token-0123456789"]) {
                    String(buffer: $0.body)
                }
                #expect(!scraped.contains("10.9.8.7") && !scraped.contains("db.internal"))
            }
        }
    }

    /// Guesses at `METRICS_TOKEN`, on `/metrics` or `/ready`, count against the caller's network:
    /// past the limit even the right token is answered 429 (and `/ready` shows it no details) until
    /// the minute ends, so the token cannot be found by trying; the network's users' tokens still
    /// work, on `/api` and `/ready`. A scrape with no bearer token is a misconfiguration, not a
    /// guess; the scheme's case does not matter.
    @Test func guessesAtTheMetricsTokenAreLimitedWithoutLockingOutUsers() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app {
                $0.readiness = DetailedReadiness()
                $0.metricsToken = "scrape-token-0123456789"
                $0.metricsTokenGuesses = BadTokenLimit(perMinute: 3)
            }
            let right: HTTPFields = [.authorization: "bearer scrape-token-0123456789"]
            try await app.test(.router) { client throws in
                for headers in [[:], [.authorization: "Basic c2NyYXBlOnRva2Vu"]] as [HTTPFields] {
                    for _ in 0..<4 { #expect(try await client.execute(uri: "/metrics", method: .get, headers: headers) { $0.status } == .unauthorized) }
                }
                #expect(try await client.execute(uri: "/metrics", method: .get, headers: right) { $0.status } == .ok)
                for (index, uri) in ["/metrics", "/ready", "/metrics"].enumerated() {
                    _ = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer scrape-token-guess-\(index)"]) { $0.status }
                }
                let held = try await client.execute(uri: "/metrics", method: .get, headers: right) { ($0.status, $0.headers[.retryAfter]) }
                #expect(held.0 == .tooManyRequests && held.1.flatMap { Int($0) }.map { (1...60).contains($0) } == true)
                let ready = try await client.execute(uri: "/ready", method: .get, headers: right) { String(buffer: $0.body) }
                #expect(!ready.contains("db.internal"))
                // The users behind the same address are not held back.
                let asUser = try await client.execute(uri: "/ready", method: .get, headers: fixture.headers(.viewer)) { String(buffer: $0.body) }
                #expect(asUser.contains("db.internal"))
                try await client.expect(.ok, .get, "/api/servers", headers: fixture.headers(.viewer))
            }
        }
    }

    @Test func unknownRoutesAndUnreadablePathsAnswerTheEnvelope() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for uri in ["/nope", "/api/nope", "/api/jobs/a%ZZb", "/api/servers/%E0%A4%A/test", "/api/backups/not-a-uuid"] {
                    try await client.execute(uri: uri, method: .get, headers: fixture.headers(.viewer)) { response throws in
                        #expect([.notFound, .badRequest, .methodNotAllowed].contains(response.status), "\(uri) → \(response.status)")
                        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(uri) has no JSON body")
                        #expect(try json(response)["success"] == false)
                    }
                }
            }
        }
    }

    /// A password server added without its host key: the connection test sends no password and
    /// names the key the server presented; pinned (after checking it), the same test connects.
    @Test func aPasswordServerWithoutAPinnedKeyGetsNoPasswordUntilAnAdminPinsIt() async throws {
        try await APIFixture.run { fixture in
            let fingerprint = try TestEnvironment.require("MM_TEST_SSH_FINGERPRINT")
            try await fixture.app().test(.router) { client throws in
                let server: JSONValue = [
                    "name": "password-first-contact", "host": .string(try TestEnvironment.require("MM_TEST_SSH_HOST")),
                    "port": .int(Int64(try TestEnvironment.require("MM_TEST_SSH_PORT")) ?? 22),
                    "username": .string(try TestEnvironment.require("MM_TEST_SSH_USER")), "authType": "password",
                    "credential": .string(try TestEnvironment.require("MM_TEST_SSH_PASSWORD")),
                ]
                let id = try await client.execute(
                    uri: "/api/servers", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: server.jsonText)
                ) { try json($0)["data"]?["id"]?.stringValue ?? "" }
                try await client.execute(uri: "/api/servers/\(id)/test", method: .post, headers: fixture.headers(.operator)) { response throws in
                    let data = try json(response)["data"]
                    #expect(data?["reachable"] == false && data?["outcome"] == "host_key_not_pinned", "\(String(describing: data))")
                    #expect(data?["hostKeyFingerprint"]?.stringValue == fingerprint)
                }
                let pinned = try await client.execute(
                    uri: "/api/servers/\(id)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: JSONValue.object(["hostKeyFingerprint": .string(fingerprint)]).jsonText))
                #expect(pinned.status == .ok, "\(String(buffer: pinned.body))")
                #expect(try json(pinned)["data"]?["hostKeyFingerprint"]?.stringValue == fingerprint)
                // A new kind of login comes with its own credential: the password never goes out as a key, nor a key as a password.
                let switched = try await client.execute(
                    uri: "/api/servers/\(id)", method: .patch, headers: fixture.headers(.admin), body: ByteBuffer(string: #"{"authType":"key"}"#))
                #expect(switched.status == .badRequest)
                #expect(try json(switched)["error"]?["details"]?["fields"] == ["credential"])
                try await client.execute(uri: "/api/servers/\(id)/test", method: .post, headers: fixture.headers(.operator)) { response throws in
                    let data = try json(response)["data"]
                    #expect(data?["reachable"] == true, "\(String(describing: data))")
                }
            }
        }
    }

    @Test func testingAnUnreachableServerIsAnAnswerNotAFailure() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                let server: JSONValue = [
                    "name": "gone", "host": "127.0.0.1", "port": .int(Int64(try TestEnvironment.freePort())),
                    "username": "x", "authType": "password", "credential": "pw",
                ]
                let id = try await client.execute(
                    uri: "/api/servers", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: server.jsonText)
                ) { try json($0)["data"]?["id"]?.stringValue ?? "" }
                try await client.execute(uri: "/api/servers/\(id)/test", method: .post, headers: fixture.headers(.operator)) { response throws in
                    #expect(response.status == .ok)
                    let data = try json(response)["data"]
                    #expect(data?["reachable"] == false && data?["outcome"] == "refused")
                    #expect(data?["message"]?.stringValue?.isEmpty == false)
                }
            }
        }
    }
}

/// A client that starts a request and never finishes it.
enum SlowClient {
    /// True when the server closes the connection within `seconds`.
    static func isClosedByServer(port: Int, start: String, trickle: Bool, within seconds: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return false }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = start.withCString { send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        let deadline = Date().addingTimeInterval(Double(seconds))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let received = recv(descriptor, &buffer, buffer.count, 0)
            if received == 0 { return true }
            if received < 0, errno != EAGAIN, errno != EWOULDBLOCK { return true }  // reset
            if received > 0 { continue }  // an error answer; keep reading until the close
            if trickle, send(descriptor, " ", 1, Int32(MSG_NOSIGNAL)) < 0 { return true }
        }
        return false
    }
}

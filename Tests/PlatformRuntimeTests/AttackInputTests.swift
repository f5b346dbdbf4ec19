import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import PostgresClient
import Logging
import Records
import RedisClient
import JobQueue
import TestSupport
import Testing

/// NUL bytes, control characters and unknown fields: refused with a 400 naming the field, never
/// cut short, never a 500, never ignored.
@Suite struct AttackInputTests {
    func post(
        _ client: some TestClientProtocol, _ uri: String, _ fixture: APIFixture, _ body: JSONValue,
        method: HTTPRequest.Method = .post
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.execute(uri: uri, method: method, headers: fixture.headers(.admin), body: ByteBuffer(string: body.jsonText)) { response throws in
            (response.status, try json(response))
        }
    }

    @Test func nulAndControlCharactersAreRefusedNamingTheField() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                let cases: [(JSONValue, String)] = [
                    (["username": "eve-1", "password": "\u{0}Password", "role": "viewer"], "password"),
                    (["username": "adm\u{0}in", "password": "long-enough-pw", "role": "viewer"], "username"),
                    (["username": "eve\u{1b}[2J", "password": "long-enough-pw", "role": "viewer"], "username"),
                    (["username": "eve-2", "password": "long-enough-pw", "role": "viewer", "email": "e@x\ny.z"], "email"),
                ]
                for (body, field) in cases {
                    let (status, answer) = try await post(client, "/api/users", fixture, body)
                    #expect(status == .badRequest, "\(body.jsonText) → \(status)")
                    #expect(answer["error"]?["details"]?["fields"] == [.string(field)], "\(answer.jsonText)")
                }
                let server: JSONValue = [
                    "name": "n", "host": "127.0.0.1", "username": "u", "authType": "password", "credential": "pw",
                    "tags": ["ok", "bad\u{0}tag"],
                ]
                let (status, answer) = try await post(client, "/api/servers", fixture, server)
                #expect(status == .badRequest && answer["error"]?["details"]?["fields"] == ["tags.1"])
                // A private key keeps its line breaks: multi-line fields allow them.
                let keyed: JSONValue = [
                    "name": "k", "host": "127.0.0.1", "username": "u", "authType": "key",
                    "credential": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
                ]
                #expect(try await post(client, "/api/servers", fixture, keyed).0 == .created)
                // Nothing was created by the refused requests.
                let users = try await fixture.database.query("SELECT count(*) AS n FROM users WHERE username LIKE 'eve%' OR username LIKE 'adm%'")
                #expect(try users.first?.decode("n", as: Int.self) == 0)
            }
        }
    }

    /// A key given twice would be read as its first copy by `JSONDecoder` and as its last by the
    /// control-character check: refused, so no check can be passed by the other copy.
    @Test func aRepeatedKeyIsRefused() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                let body = #"{"username":"eve\u001b[2J","username":"eve-3","password":"long-enough-pw","role":"viewer"}"#
                try await client.execute(uri: "/api/users", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: body)) { response throws in
                    #expect(response.status == .badRequest)
                    #expect(try json(response)["error"]?["code"] == "invalid_json")
                }
                let users = try await fixture.database.query("SELECT count(*) AS n FROM users WHERE username LIKE 'eve%'")
                #expect(try users.first?.decode("n", as: Int.self) == 0)
            }
        }
    }

    /// Sign-ins whose name no user can have, or whose password no hash can match, are refused
    /// before the database and the audit log: an attacker cannot fill the log with names of their
    /// choosing (escape sequences, right-to-left marks) at no cost of bcrypt.
    @Test func impossibleSignInsLeaveNoAuditEntry() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for (username, password) in [("adm\u{202E}nimda", "whatever-pw"), ("x", "whatever-pw"), ("user-admin", String(repeating: "p", count: 73))] {
                    let body: JSONValue = ["username": .string(username), "password": .string(password)]
                    try await client.execute(uri: "/api/auth/login", method: .post, body: ByteBuffer(string: body.jsonText)) { response throws in
                        #expect(response.status == .unauthorized)
                        #expect(try json(response)["error"]?["code"] == "invalid_credentials")
                    }
                }
                let failures = try await fixture.database.query("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.login'")
                #expect(try failures.first?.decode("n", as: Int.self) == 0)
                // A possible one is still audited.
                try await client.expect(.unauthorized, .post, "/api/auth/login", body: ByteBuffer(string: #"{"username":"user-admin","password":"wrong-password"}"#))
                let audited = try await fixture.database.query("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.login'")
                #expect(try audited.first?.decode("n", as: Int.self) == 1)
            }
        }
    }

    @Test func anEmptyPasswordNeverLogsIn() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for password in ["", "\u{0}", "\u{0}password-admin"] {
                    let body: JSONValue = ["username": "user-admin", "password": .string(password)]
                    let status = try await client.execute(uri: "/api/auth/login", method: .post, body: ByteBuffer(string: body.jsonText)) { $0.status }
                    #expect(status == .unauthorized || status == .badRequest)
                }
            }
        }
    }

    @Test func unknownFieldsAreRefusedNamingThem() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                let server: JSONValue = ["name": "web", "host": "127.0.0.1", "username": "u", "authType": "password", "credential": "pw"]
                let id = try await post(client, "/api/servers", fixture, server).1["data"]?["id"]?.stringValue ?? ""
                let (status, answer) = try await post(client, "/api/servers/\(id)/backup", fixture, ["paths": ["/etc"], "encryption": "aes-256"])
                #expect(status == .badRequest && answer["error"]?["details"]?["fields"] == ["encryption"])
                #expect(answer["message"]?.stringValue?.contains("paths") == true)
                let schedule: JSONValue = ["serverId": .string(id), "cron": "@daily", "paths": ["/etc"], "retention": ["keepLast": 2, "yearly": 1]]
                let nested = try await post(client, "/api/schedules", fixture, schedule)
                #expect(nested.0 == .badRequest && nested.1["error"]?["details"]?["fields"] == ["retention.yearly"])
                let jobs = try await fixture.redis.command(["KEYS", .init(fixture.queues[0].keys.base + "*")])
                #expect(jobs.array?.isEmpty ?? true, "a refused request queued a job")
            }
        }
    }

    @Test func thePostgresClientRefusesNulInsteadOfCuttingIt() async throws {
        try await TestEnvironment.withMigratedDatabase(logger: .init(label: "test.nul")) { pool in
            let error = try await #require(throws: PostgresError.self, "a NUL parameter was sent") {
                try await pool.query("SELECT $1::text AS t", ["adm\u{0}in"])
            }
            #expect(error.code == .invalidParameter)
        }
    }
}

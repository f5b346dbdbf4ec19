import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import PostgresClient
import Records
import Testing

@Suite struct UsersAPITests {
    @Test func loginIssuesASessionTokenThatFollowsTheAccount() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/api/auth/login", method: .post,
                    body: ByteBuffer(string: #"{"username":"user-operator","password":"wrong"}"#)
                ) { response throws in
                    #expect(response.status == .unauthorized)
                    #expect(try json(response)["error"]?["code"] == "invalid_credentials")
                }
                var session = ""
                try await client.execute(
                    uri: "/api/auth/login", method: .post,
                    body: ByteBuffer(string: #"{"username":"user-operator","password":"password-operator"}"#)
                ) { response throws in
                    #expect(response.status == .ok)
                    let data = try json(response)["data"]
                    session = data?["token"]?.stringValue ?? ""
                    #expect(data?["user"]?["role"] == "operator")
                }
                try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(session)"]) { response throws in
                    #expect(response.status == .ok)
                    #expect(try json(response)["data"]?["username"] == "user-operator")
                }
                let tampered = String(session.dropLast(2)) + (session.hasSuffix("AA") ? "BB" : "AA")
                try await client.expect(.unauthorized, .get, "/api/auth/me", headers: [.authorization: "Bearer \(tampered)"])
                // Deactivating the account ends its sessions at once.
                var operatorId = ""
                try await client.execute(uri: "/api/users", method: .get, headers: fixture.headers(.admin)) { response throws in
                    guard case .array(let users)? = try json(response)["data"]?["items"] else { Issue.record("expected users"); return }
                    operatorId = users.first { $0["username"] == "user-operator" }?["id"]?.stringValue ?? ""
                }
                try await client.execute(
                    uri: "/api/users/\(operatorId)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"active":false}"#)
                ) { response throws in
                    #expect(response.status == .ok)
                }
                try await client.expect(.unauthorized, .get, "/api/auth/me", headers: [.authorization: "Bearer \(session)"])
            }
        }
    }

    @Test func adminsManageUsersAndTokens() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client in
                let newUser = #"{"username":"carol","password":"long-enough-pw","role":"viewer"}"#
                try await client.expect(.forbidden, .post, "/api/users", headers: fixture.headers(.operator), body: ByteBuffer(string: newUser))
                try await client.execute(
                    uri: "/api/users", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"username":"dave","password":"short","role":"viewer"}"#)
                ) { response throws in
                    #expect(response.status == .badRequest)
                    #expect(try json(response)["error"]?["details"]?["fields"] == ["password"])
                }
                var carol = ""
                try await client.execute(uri: "/api/users", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: newUser)) { response throws in
                    #expect(response.status == .created)
                    #expect(!String(buffer: response.body).contains("long-enough-pw"))
                    carol = try json(response)["data"]?["id"]?.stringValue ?? ""
                }
                // A change that fails changes nothing: not the password either.
                let login = { (password: String) in
                    ByteBuffer(string: #"{"username":"carol","password":"\#(password)"}"#)
                }
                try await client.expect(
                    .badRequest, .patch, "/api/users/\(carol)", headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"password":"a-new-password","email":"not an email"}"#))
                try await client.expect(.ok, .post, "/api/auth/login", body: login("long-enough-pw"))
                try await client.expect(.ok, .patch, "/api/users/\(carol)", headers: fixture.headers(.admin), body: ByteBuffer(string: #"{"password":"a-new-password"}"#))
                try await client.expect(.unauthorized, .post, "/api/auth/login", body: login("long-enough-pw"))
                try await client.expect(.ok, .post, "/api/auth/login", body: login("a-new-password"))
                var token = ""
                var tokenId = ""
                try await client.execute(
                    uri: "/api/users/\(carol)/tokens", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"name":"laptop","expiresInDays":7}"#)
                ) { response throws in
                    #expect(response.status == .created)
                    token = try json(response)["data"]?["token"]?.stringValue ?? ""
                    tokenId = try json(response)["data"]?["record"]?["id"]?.stringValue ?? ""
                }
                try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response throws in
                    #expect(try json(response)["data"]?["username"] == "carol")
                }
                try await client.expect(.ok, .delete, "/api/tokens/\(tokenId)", headers: fixture.headers(.admin))
                try await client.expect(.unauthorized, .get, "/api/auth/me", headers: [.authorization: "Bearer \(token)"])
                // The audit log names whose token it was, so a token minted for another account
                // stays traceable; and an email change is recorded.
                try await client.expect(.ok, .patch, "/api/users/\(carol)", headers: fixture.headers(.admin), body: ByteBuffer(string: #"{"email":"c@example.com"}"#))
                let entries = try await fixture.database.query(
                    "SELECT action, details::text AS details FROM audit_log WHERE action IN ('token.create', 'token.revoke', 'user.update') ORDER BY id"
                ).rows.map { (try $0.decode("action", as: String.self), try $0.decode("details", as: String.self)) }
                #expect(entries.filter { $0.0.hasPrefix("token.") }.count == 2 && entries.filter { $0.0.hasPrefix("token.") }.allSatisfy { $0.1.contains(carol) })
                #expect(entries.last?.0 == "user.update" && entries.last?.1.contains("\"email\": \"changed\"") == true)
                // No token is minted for a deactivated user (it would come alive with a reactivation).
                try await client.expect(.ok, .patch, "/api/users/\(carol)", headers: fixture.headers(.admin), body: ByteBuffer(string: #"{"active":false}"#))
                try await client.execute(
                    uri: "/api/users/\(carol)/tokens", method: .post, headers: fixture.headers(.admin), body: ByteBuffer(string: #"{"name":"late"}"#)
                ) { response throws in
                    #expect(response.status == .conflict)
                    #expect(try json(response)["error"]?["code"] == "user_inactive")
                }
            }
        }
    }

    @Test func adminsCannotLockThemselvesOut() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client in
                let me = try await client.execute(uri: "/api/auth/me", method: .get, headers: fixture.headers(.admin)) { response throws in
                    try json(response)["data"]?["id"]?.stringValue ?? ""
                }
                for change in [#"{"role":"viewer"}"#, #"{"active":false}"#] {
                    try await client.execute(
                        uri: "/api/users/\(me)", method: .patch, headers: fixture.headers(.admin),
                        body: ByteBuffer(string: change)
                    ) { response throws in
                        #expect(response.status == .conflict)
                        #expect(try json(response)["error"]?["code"] == "self_lockout")
                    }
                }
                try await client.execute(uri: "/api/auth/me", method: .get, headers: fixture.headers(.admin)) { response throws in
                    #expect(try json(response)["data"]?["role"] == "admin")
                }
            }
        }
    }

    @Test func writesAreRateLimitedPerCaller() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app {
                $0.writeRateLimit = WriteRateLimitMiddleware(redis: fixture.redis, limitPerMinute: 3, prefix: "mmtest-\(UUID().uuidString)")
            }
            try await app.test(.router) { client in
                for attempt in 1...4 {
                    try await client.execute(uri: "/api/queues/backup-queue/resume", method: .post, headers: fixture.headers(.admin)) { response throws in
                        if attempt <= 3 {
                            #expect(response.status == .ok)
                        } else {
                            #expect(response.status == .tooManyRequests)
                            #expect(response.headers[.retryAfter] != nil)
                            #expect(try json(response)["error"]?["code"] == "rate_limited")
                        }
                    }
                }
                // Reads are not limited, and other callers have their own budget.
                try await client.expect(.ok, .get, "/api/metrics/queues", headers: fixture.headers(.admin))
                try await client.expect(.notFound, .delete, "/api/jobs/nope", headers: fixture.headers(.operator))
            }
        }
    }
}

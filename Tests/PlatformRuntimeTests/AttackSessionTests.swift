import Crypto
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JSONSupport
import NIOCore
import PostgresClient
import Records
import Testing

/// Forged and stretched session tokens: nothing readable from the database or the API signs a
/// session, and a token is refused when it lives too long or outlives a password change.
@Suite struct AttackSessionTests {
    static let fixtureKey = String(repeating: "7e", count: 32)

    /// A JWT with any header and claims, HS256-signed with `secret`.
    static func forge(header: JSONValue = ["alg": "HS256", "typ": "JWT"], claims: JSONValue, secret: [UInt8]) -> String {
        func encode(_ bytes: [UInt8]) -> String {
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let input = encode(Array(header.jsonText.utf8)) + "." + encode(Array(claims.jsonText.utf8))
        let signature = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + encode(Array(signature))
    }

    /// Claims of a session like the fixture's (60-second sessions).
    static func claims(user: String, issued: Date = Date(), lifetime: TimeInterval = 60, version: Int = 1) -> JSONValue {
        [
            "sub": .string(user), "usr": "user-admin", "ver": .int(Int64(version)), "iat": .int(Int64(issued.timeIntervalSince1970)),
            "nbf": .int(Int64(issued.timeIntervalSince1970)), "exp": .int(Int64(issued.timeIntervalSince1970 + lifetime)),
        ]
    }

    func me(_ client: some TestClientProtocol, _ token: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
    }

    @Test func tokensSignedWithAnythingPublicAreRefused() async throws {
        try await APIFixture.run { fixture in
            let key = try EncryptionKey(hex: Self.fixtureKey)
            let admin = try #require(
                try await fixture.database.query("SELECT id FROM users WHERE username = 'user-admin'").first?
                    .decode("id", as: UUID.self))
            let adminId = admin.uuidString.lowercased()
            // Every value a reader of rows or responses may hold, and the old derivation from the key id.
            let passwordHash =
                try await fixture.database.query("SELECT password_hash FROM users WHERE id = $1", [admin]).first?
                .decode("password_hash", as: String.self) ?? ""
            let tokenHash = try await fixture.database.query("SELECT token_hash FROM api_tokens LIMIT 1").first?.decode("token_hash", as: String.self) ?? ""
            let candidates: [[UInt8]] = [
                Array(key.id.utf8), Array(SHA256.hash(data: Array("medicineman session tokens v1:\(key.id)".utf8) + Array(key.id.utf8))),
                Array(passwordHash.utf8), Array(tokenHash.utf8), Array(adminId.utf8), [], Array("secret".utf8),
            ]
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                for secret in candidates {
                    let forged = Self.forge(claims: Self.claims(user: adminId), secret: secret)
                    #expect(try await me(client, forged) == .unauthorized)
                }
                // alg "none" with no signature, and HS512 under the real secret: the algorithm is pinned.
                let real = SessionTokens.signingSecret(sessionSecret: nil, encryptionKey: key)
                let unsigned = Self.forge(header: ["alg": "none", "typ": "JWT"], claims: Self.claims(user: adminId), secret: [])
                let parts = unsigned.split(separator: ".")
                #expect(try await me(client, "\(parts[0]).\(parts[1]).") == .unauthorized)
                #expect(try await me(client, Self.forge(header: ["alg": "HS512"], claims: Self.claims(user: adminId), secret: real)) == .unauthorized)
                // The real secret signs a good token: the forgery above failed for the key alone.
                let good = Self.forge(claims: Self.claims(user: adminId), secret: real)
                try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(good)"]) { response throws in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                }
            }
        }
    }

    @Test func longLivedFutureAndIncompleteTokensAreRefused() async throws {
        try await APIFixture.run { fixture in
            let real = SessionTokens.signingSecret(sessionSecret: nil, encryptionKey: try EncryptionKey(hex: Self.fixtureKey))
            let admin = try #require(
                try await fixture.database.query("SELECT id FROM users WHERE username = 'user-admin'").first?
                    .decode("id", as: UUID.self)
            ).uuidString.lowercased()
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                let tenYears = Self.forge(claims: Self.claims(user: admin, lifetime: 10 * 365 * 86_400), secret: real)
                #expect(try await me(client, tenYears) == .unauthorized)
                let future = Self.forge(claims: Self.claims(user: admin, issued: Date().addingTimeInterval(3600), lifetime: 30), secret: real)
                #expect(try await me(client, future) == .unauthorized)
                let expired = Self.forge(claims: Self.claims(user: admin, issued: Date().addingTimeInterval(-120), lifetime: 60), secret: real)
                #expect(try await me(client, expired) == .unauthorized)
                guard case .object(var noExpiry) = Self.claims(user: admin) else { return }
                noExpiry["exp"] = nil
                #expect(try await me(client, Self.forge(claims: .object(noExpiry), secret: real)) == .unauthorized)
                guard case .object(var noIssued) = Self.claims(user: admin) else { return }
                noIssued["iat"] = nil
                #expect(try await me(client, Self.forge(claims: .object(noIssued), secret: real)) == .unauthorized)
            }
        }
    }

    /// A stream's recheck looks past a login token's expiry (by an hour at the most), and what it
    /// finds is no authentication: an expired token never serves a request from the cache.
    @Test func aRecheckNeitherRevivesAnExpiredTokenNorLooksPastAnHour() async throws {
        try await APIFixture.run { fixture in
            let key = try EncryptionKey(hex: Self.fixtureKey)
            let sessions = SessionTokens(secret: SessionTokens.signingSecret(sessionSecret: nil, encryptionKey: key), lifetime: .seconds(60))
            let users = UserRepository(database: fixture.database, hasher: PasswordHasher(cost: 4))
            let user = try #require(try await users.find(username: "user-viewer"))
            let authenticator = PlatformAuthenticator(users: users, sessions: sessions, cache: IdentityCache(lifetime: .seconds(60)))
            let expired = try await sessions.issue(for: user, now: Date().addingTimeInterval(-120)).token
            #expect(try await authenticator.identity(forBearer: expired, from: "192.0.2.1") == nil)
            #expect(try await authenticator.identity(rechecking: expired)?.userId == user.id, "a stream it opened goes on")
            #expect(try await authenticator.identity(forBearer: expired, from: "192.0.2.1") == nil, "the recheck cached nothing")
            let longGone = try await sessions.issue(for: user, now: Date().addingTimeInterval(-2 * 3600)).token
            #expect(try await authenticator.identity(rechecking: longGone) == nil)
        }
    }

    @Test func aPasswordChangeEndsEarlierSessions() async throws {
        try await APIFixture.run { fixture in
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                let session = try await client.execute(
                    uri: "/api/auth/login", method: .post,
                    body: ByteBuffer(string: #"{"username":"user-operator","password":"password-operator"}"#)
                ) { response throws in
                    try json(response)["data"]?["token"]?.stringValue ?? ""
                }
                #expect(try await me(client, session) == .ok)
                let operatorId = try #require(
                    try await fixture.database.query("SELECT id FROM users WHERE username = 'user-operator'").first?
                        .decode("id", as: UUID.self)
                ).uuidString.lowercased()
                try await client.execute(
                    uri: "/api/users/\(operatorId)", method: .patch, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: #"{"password":"a-brand-new-password"}"#)
                ) { response throws in
                    #expect(response.status == .ok)
                }
                #expect(try await me(client, session) == .unauthorized)
                let fresh = try await client.execute(
                    uri: "/api/auth/login", method: .post,
                    body: ByteBuffer(string: #"{"username":"user-operator","password":"a-brand-new-password"}"#)
                ) { response throws in
                    try json(response)["data"]?["token"]?.stringValue ?? ""
                }
                #expect(try await me(client, fresh) == .ok)
            }
        }
    }

    @Test func keyIdsStayOutOfWhatUsersSee() async throws {
        try await APIFixture.run { fixture in
            let key = try EncryptionKey(hex: Self.fixtureKey)
            let app = try fixture.app()
            try await app.test(.router) { client throws in
                let server: JSONValue = ["name": "sealed", "host": "127.0.0.1", "port": 1, "username": "x", "authType": "password", "credential": "pw"]
                let id = try await client.execute(
                    uri: "/api/servers", method: .post, headers: fixture.headers(.admin),
                    body: ByteBuffer(string: server.jsonText)
                ) { try json($0)["data"]?["id"]?.stringValue ?? "" }
                // As after a key was dropped from ENCRYPTION_KEY_PREVIOUS: the credential's key is unknown.
                try await fixture.database.query("UPDATE servers SET credential_key_id = 'deadbeefdeadbeef' WHERE id = $1", [UUID(uuidString: id)])
                let test = try await client.execute(uri: "/api/servers/\(id)/test", method: .post, headers: fixture.headers(.operator)) {
                    String(buffer: $0.body)
                }
                let shown = try await client.execute(uri: "/api/servers/\(id)", method: .get, headers: fixture.headers(.viewer)) { String(buffer: $0.body) }
                for text in [test, shown] {
                    #expect(!text.contains(key.id) && !text.contains("deadbeefdeadbeef"), "a key id leaked: \(text)")
                }
                #expect(test.contains("neither ENCRYPTION_KEY"))
            }
        }
    }
}

import Crypto
package import Foundation
package import HTTPTypes
package import Hummingbird
package import Records
package import RedisClient

/// Dashboard sessions. The session is a login JWT from `SessionTokens` (with a random session id,
/// `sid`) kept in an HttpOnly, SameSite=Strict cookie — Secure behind TLS — and renewed while it
/// is used, so it never lives longer than the API's 15 minutes without activity. Every request
/// that changes state and is authenticated by the cookie must carry the session's CSRF token
/// (HMAC-SHA256 of user and session id under a key derived from the session secret) in the
/// `X-CSRF-Token` header or a form's `csrf` field. Signing out ends the session id in Redis.
package struct BrowserSessions: Sendable {
    package static let cookieName = "mm_session"
    package static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    package static let csrfField = "csrf"

    let tokens: SessionTokens
    let authenticator: any TokenAuthenticating
    let users: UserRepository
    let csrfKey: SymmetricKey
    let redis: RedisConnectionPool
    /// Mark cookies Secure always (TLS in front); otherwise only when the request came over https.
    let alwaysSecure: Bool

    /// `secret` is the session signing secret (`SessionTokens.signingSecret`); the CSRF key is derived from it under a label of its own.
    package init(
        tokens: SessionTokens, authenticator: any TokenAuthenticating, users: UserRepository, secret: [UInt8],
        redis: RedisConnectionPool, alwaysSecure: Bool = false
    ) {
        self.tokens = tokens
        self.authenticator = authenticator
        self.users = users
        self.csrfKey = SymmetricKey(data: EncryptionKey.derive(from: secret, label: "medicineman dashboard csrf v1"))
        self.redis = redis
        self.alwaysSecure = alwaysSecure
    }

    /// A signed-in browser.
    package struct Current: Sendable {
        package var identity: Identity
        package var sessionId: String
        /// The user's session version the token was issued under (a password change or deactivation bumps it).
        package var sessionVersion: Int
        /// What forms and fetches that change state must send back.
        package var csrfToken: String
        /// A renewed session cookie to send with the response, when the token was getting old.
        package var renewedCookie: Cookie?
    }

    /// The session of the request's cookie; nil without one, or when it is invalid, expired,
    /// signed out, or not a dashboard session (an API login token has no `sid`).
    package func current(_ request: Request, context: APIRequestContext) async throws -> Current? {
        guard let token = cookieValue(Self.cookieName, in: request), !token.hasPrefix("mm_"),
            let session = await tokens.verify(token), let sessionId = session.sessionId,
            let identity = try await authenticator.identity(forSessionCookie: token, from: context.clientAddress)
        else { return nil }
        guard try await !isEnded(sessionId) else { return nil }
        var renewed: Cookie?
        // Renewed once a third of its life has passed, so an open dashboard stays signed in.
        let age = Date().timeIntervalSince(session.issuedAt)
        // Only a session still of the user's current version: a renewal must not carry a cookie
        // across a password change or deactivation that a cached identity has not seen yet.
        if age > Double(tokens.lifetime.components.seconds) / 3, let user = try await users.find(id: identity.userId),
            user.active, user.sessionVersion == session.version
        {
            renewed = cookie(try await tokens.issue(for: user, sessionId: sessionId).token, request: request)
        }
        return Current(
            identity: identity, sessionId: sessionId, sessionVersion: session.version, csrfToken: csrfToken(userId: identity.userId, sessionId: sessionId),
            renewedCookie: renewed)
    }

    /// Whether a session is still signed in: not signed out, its user active and of the same
    /// session version. Unlike `current`, the token's own expiry does not count, so a stream the
    /// session opened outlives the token it was opened with (the browser's cookie is renewed by
    /// the pages it loads, not by the stream).
    package func isSignedIn(_ current: Current) async throws -> Bool {
        guard try await !isEnded(current.sessionId), let user = try await users.find(id: current.identity.userId) else { return false }
        return user.active && user.sessionVersion == current.sessionVersion
    }

    /// Starts a session for a user who just signed in: the cookie to set.
    package func start(for user: User, request: Request) async throws -> Cookie {
        var random = SystemRandomNumberGenerator()
        let sessionId = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &random) })
        return cookie(try await tokens.issue(for: user, sessionId: sessionId).token, request: request)
    }

    /// Ends a session: its id is refused from now on, and the cookie to set removes it.
    package func end(_ current: Current, request: Request) async throws -> Cookie {
        _ = try await redis.command([
            "SET", RedisArgument(Self.endedKey(current.sessionId)), "1", "EX",
            RedisArgument(Int(tokens.lifetime.components.seconds) + 60),
        ])
        return cookie(Self.cookieName, value: "", maxAge: 0, for: request)
    }

    /// Whether the request carries this session's CSRF token (header, or a form field the caller read).
    package func csrfMatches(_ current: Current, request: Request, formValue: String? = nil) -> Bool {
        guard let presented = request.headers[Self.csrfHeader] ?? formValue else { return false }
        return ConstantTime.equals(presented, current.csrfToken)
    }

    /// The CSRF token of a session: bound to the user and the session id, unguessable without the secret.
    package func csrfToken(userId: UUID, sessionId: String) -> String {
        mac("session|\(userId.lowercasedString)|\(sessionId)")
    }

    /// The CSRF token of a form shown before anyone signs in (sign-in, first-run setup): bound to
    /// a random nonce in a cookie of its own (signed double submit).
    package func preSessionToken(nonce: String) -> String {
        mac("pre-session|\(nonce)")
    }

    /// Whether a pre-session form came back with the token of the nonce in its cookie.
    package func preSessionTokenMatches(_ presented: String?, nonce: String?) -> Bool {
        guard let presented, let nonce, !nonce.isEmpty else { return false }
        return ConstantTime.equals(presented, preSessionToken(nonce: nonce))
    }

    /// The cookie that carries a session token: HttpOnly, SameSite=Strict, whole site, as long as the token lives.
    package func cookie(_ token: String, request: Request) -> Cookie {
        cookie(Self.cookieName, value: token, maxAge: Int(tokens.lifetime.components.seconds), for: request)
    }

    /// Whether the cookie `name` is Secure for this request: when configured, when the request
    /// reached a TLS-terminating proxy first, or when the browser already holds it as a `__Host-`
    /// cookie (which it takes and sends only over TLS), even if a route forgot the proxy header.
    func isSecure(_ request: Request, cookie name: String) -> Bool {
        alwaysSecure || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
            || request.cookies[Self.hostOnly(name)] != nil
    }

    /// A dashboard cookie: HttpOnly, SameSite=Strict, whole site. Where it is Secure it is named
    /// `__Host-name`: browsers take such a cookie only from this host, over TLS, with `Path=/` and
    /// no `Domain`, so a sibling subdomain cannot plant or overwrite it (a browser refuses the
    /// prefix over plain http, where the plain name is used).
    package func cookie(_ name: String, value: String, maxAge: Int, for request: Request) -> Cookie {
        let secure = isSecure(request, cookie: name)
        return Cookie(
            name: secure ? Self.hostOnly(name) : name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true,
            sameSite: .strict)
    }

    /// The value of the dashboard cookie `name`, under the one name `cookie(_:value:maxAge:for:)`
    /// gives it for this request: where cookies are Secure, a planted plain one is ignored.
    package func cookieValue(_ name: String, in request: Request) -> String? {
        request.cookies[isSecure(request, cookie: name) ? Self.hostOnly(name) : name]?.value
    }

    static func hostOnly(_ name: String) -> String { "__Host-" + name }

    private func isEnded(_ sessionId: String) async throws -> Bool {
        try await redis.command(["EXISTS", RedisArgument(Self.endedKey(sessionId))]).int == 1
    }

    static func endedKey(_ sessionId: String) -> String { "medicineman:dashboard:ended:\(sessionId)" }

    private func mac(_ text: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: csrfKey)
        return Data(code).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

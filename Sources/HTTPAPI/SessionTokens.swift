package import Foundation
import JWTKit
package import Records

/// Short-lived JWTs (HS256) from `POST /api/auth/login`, signed and checked with jwt-kit under a
/// secret derived from secret bytes only (`ENCRYPTION_KEY`'s bytes or `SESSION_SECRET`), never
/// from anything stored or shown. Verification pins the algorithm, requires `exp` and `iat`,
/// refuses a token that lives longer than `lifetime` or starts in the future, and returns the
/// user's session version, which the authenticator compares with the user's row.
package struct SessionTokens: Sendable {
    private let secret: [UInt8]
    package let lifetime: Duration
    /// Clock difference tolerated between instances for `iat`/`nbf`.
    static let skew: Double = 30

    /// `secret` is 32 bytes from `signingSecret(...)`.
    package init(secret: [UInt8], lifetime: Duration = .seconds(900)) {
        self.secret = secret
        self.lifetime = lifetime
    }

    /// The signing secret: HKDF over `SESSION_SECRET` when given, else over the encryption key's
    /// bytes, each with a label of its own.
    package static func signingSecret(sessionSecret: String?, encryptionKey: EncryptionKey) -> [UInt8] {
        if let sessionSecret { return EncryptionKey.derive(from: Array(sessionSecret.utf8), label: "medicineman session tokens v2") }
        return encryptionKey.derivedSecret(label: "medicineman session tokens v2")
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var usr: String
        /// The user's session version when the token was issued.
        var ver: Int
        /// The browser session a dashboard token belongs to (random, kept across renewals); absent for API logins.
        var sid: String?
        var iat: IssuedAtClaim
        var nbf: NotBeforeClaim?
        var exp: ExpirationClaim

        // Times are checked in `verify(_:now:)`, against a clock the caller passes.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// What a valid token says.
    package struct Session: Sendable, Equatable {
        package var userId: UUID
        package var version: Int
        /// The dashboard session id (`sid`), if the token has one.
        package var sessionId: String?
        package var issuedAt: Date
    }

    package func issue(for user: User, sessionId: String? = nil, now: Date = Date()) async throws -> (token: String, expiresAt: Date) {
        let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let expires = issued.addingTimeInterval(Double(lifetime.components.seconds))
        let claims = Claims(
            sub: .init(value: user.id.lowercasedString), usr: user.username, ver: user.sessionVersion, sid: sessionId,
            iat: .init(value: issued), nbf: .init(value: issued), exp: .init(value: expires))
        return (try await keys().sign(claims, header: ["typ": "JWT"]), expires)
    }

    /// How long after its expiry a token may still pass a recheck: the longest a stream it opened lives.
    package static let recheckGrace: TimeInterval = 3600

    /// The session of a valid token; nil for anything else. `ignoringExpiry` asks whether a token
    /// that was valid is still genuine and of its user (a stream it opened may outlive it, by
    /// `recheckGrace` at the most).
    package func verify(_ token: String, now: Date = Date(), ignoringExpiry: Bool = false) async -> Session? {
        guard token.utf8.count < 2048, Self.algorithm(of: token) == "HS256",
            let claims = try? await keys().verify(token, as: Claims.self)
        else { return nil }
        let issuedAt = claims.iat.value.timeIntervalSince1970
        let expiresAt = claims.exp.value.timeIntervalSince1970
        let nowSeconds = now.timeIntervalSince1970
        guard expiresAt + (ignoringExpiry ? Self.recheckGrace : 0) > nowSeconds, issuedAt <= nowSeconds + Self.skew,
            expiresAt - issuedAt <= Double(lifetime.components.seconds),
            (claims.nbf?.value.timeIntervalSince1970 ?? issuedAt) <= nowSeconds + Self.skew,
            let userId = UUID(uuidString: claims.sub.value), claims.ver >= 1
        else { return nil }
        return Session(userId: userId, version: claims.ver, sessionId: claims.sid, issuedAt: claims.iat.value)
    }

    private func keys() async -> JWTKeyCollection {
        await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// The `alg` of a token's header, read before any key is chosen so no other algorithm is tried.
    static func algorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", maxSplits: 1).first,
            let bytes = Base64URL.decode(String(header)),
            let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        else { return nil }
        return object["alg"] as? String
    }
}

/// Base64url without padding (RFC 7515).
enum Base64URL {
    static func decode(_ text: String) -> [UInt8]? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base).map(Array.init)
    }
}

/// Accepts API tokens (`mm_…`, stored in PostgreSQL as digests) and session JWTs. What a made-up
/// token can cost is bounded: one of the wrong shape, a JWT whose signature fails, or (with
/// `known`) an `mm_` token whose digest no live token has, is refused without a lookup of its own;
/// the rest are looked up in one of `lookups`' slots; and with `badTokens`, a client network whose
/// lookups found nothing too often this minute (revoked or expired tokens, ended sessions) gets
/// 429s instead (checked again once the slot is held, so lookups that queued together cannot
/// overshoot it).
package struct PlatformAuthenticator: TokenAuthenticating {
    let users: UserRepository
    let sessions: SessionTokens?
    let cache: IdentityCache?
    let lookups: TokenLookupSlots
    let badTokens: BadTokenLimit?
    let known: KnownTokenDigests?

    package init(
        users: UserRepository, sessions: SessionTokens?, cache: IdentityCache? = nil, lookups: TokenLookupSlots = TokenLookupSlots(),
        badTokens: BadTokenLimit? = nil, known: KnownTokenDigests? = nil
    ) {
        self.users = users
        self.sessions = sessions
        self.cache = cache
        self.lookups = lookups
        self.badTokens = badTokens
        self.known = known
    }

    package func identity(forBearer token: String, from client: String) async throws -> Identity? {
        try await identity(token, in: .bearer, from: client)
    }

    package func identity(forSessionCookie token: String, from client: String) async throws -> Identity? {
        try await identity(token, in: .sessionCookie, from: client)
    }

    package func identity(rechecking token: String) async throws -> Identity? {
        try await identity(token, in: .bearer, from: nil)
    }

    /// `client` is the network to admit and charge for failed lookups; nil for a recheck.
    private func identity(_ token: String, in carrier: IdentityCache.Carrier, from client: String?) async throws -> Identity? {
        if let cached = cache?.identity(for: token, in: carrier) { return cached }
        let mark = cache?.mark()
        guard let identity = try await verify(token, in: carrier, from: client) else { return nil }
        // A recheck's answer is not an authentication: cached, an expired token would serve requests.
        if client != nil { cache?.store(identity, for: token, in: carrier, since: mark) }
        return identity
    }

    private func verify(_ token: String, in carrier: IdentityCache.Carrier, from client: String?) async throws -> Identity? {
        if token.hasPrefix("mm_") {
            guard carrier == .bearer, UserRepository.isWellFormedToken(token) else { return nil }
            // A network held back is told so at once, before it waits for a reload of the digests.
            try admit(client)
            if let known, await !known.mayBeLive(UserRepository.tokenDigest(token)) { return nil }
            return try await lookUp(from: client) { try await users.user(forToken: token).map { Identity($0.0) } }
        }
        // A dashboard session's token (it has a session id) counts only in its cookie, where
        // signing out ends it; an API login's only as a bearer token.
        // A recheck (no client) asks whether the user and session still hold, not whether the token
        // has expired since: a login token's stream lives its hour, as a session cookie's does.
        guard let sessions, let session = await sessions.verify(token, ignoringExpiry: client == nil),
            (session.sessionId != nil) == (carrier == .sessionCookie)
        else { return nil }
        try admit(client)
        return try await lookUp(from: client) {
            // A password change or deactivation bumps the version: older sessions end.
            guard let user = try await users.find(id: session.userId), user.active, user.sessionVersion == session.version else { return nil }
            return Identity(user)
        }
    }

    /// Runs `find` in a lookup slot; the caller has admitted `client` already, and it is admitted
    /// again once the slot is held.
    private func lookUp(from client: String?, _ find: () async throws -> Identity?) async throws -> Identity? {
        try await lookups.run {
            try admit(client)
            let identity = try await find()
            if identity == nil, let client { badTokens?.recordFailure(client) }
            return identity
        }
    }

    private func admit(_ client: String?) throws {
        if let client { try badTokens?.admit(client) }
    }
}

import Crypto
import Foundation
import JSONSupport
import Records

/// Short-lived JWTs (HS256) from `POST /api/auth/login`. Each request re-reads the user, so a
/// deactivated account or a changed role takes effect at once.
public struct SessionTokens: Sendable {
    private let key: [UInt8]
    public let lifetime: Duration

    /// `secret` is at least 32 bytes (e.g. derived from ENCRYPTION_KEY).
    public init(secret: [UInt8], lifetime: Duration = .seconds(900)) {
        self.key = secret
        self.lifetime = lifetime
    }

    /// A secret for signing derived from the credential key, so no extra setting is needed.
    public static func derive(from key: EncryptionKey) -> [UInt8] {
        Array(SHA256.hash(data: Array("medicineman session tokens v1:\(key.id)".utf8) + Array(key.id.utf8)))
    }

    struct Claims: Codable {
        var sub: String
        var usr: String
        var iat: Int
        var exp: Int
    }

    public func issue(for user: User, now: Date = Date()) -> (token: String, expiresAt: Date) {
        let issued = Int(now.timeIntervalSince1970)
        let expires = issued + Int(lifetime.components.seconds)
        let header = Self.base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = JSONValue.object(["sub": .string(user.id.uuidString.lowercased()), "usr": .string(user.username),
                                       "iat": .int(Int64(issued)), "exp": .int(Int64(expires))])
        let payload = Self.base64URL(Array(claims.jsonText.utf8))
        let signature = Self.base64URL(sign(header + "." + payload))
        return (header + "." + payload + "." + signature, Date(timeIntervalSince1970: Double(expires)))
    }

    /// The user id of a valid, unexpired token.
    public func verify(_ token: String, now: Date = Date()) -> UUID? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.decodeBase64URL(String(parts[2])) else { return nil }
        let expected = sign(parts[0] + "." + parts[1])
        guard expected.count == signature.count, zip(expected, signature).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { return nil }
        guard let payload = Self.decodeBase64URL(String(parts[1])),
              let claims = try? JSONValue(jsonText: String(decoding: payload, as: UTF8.self)),
              let expiry = claims["exp"]?.intValue, expiry > Int(now.timeIntervalSince1970),
              let subject = claims["sub"]?.stringValue else { return nil }
        return UUID(uuidString: subject)
    }

    private func sign(_ text: some StringProtocol) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: String) -> [UInt8]? {
        var base = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base.count % 4 != 0 { base += "=" }
        return Data(base64Encoded: base).map(Array.init)
    }
}

/// Accepts API tokens (`mm_…`) and session JWTs.
public struct PlatformAuthenticator: TokenAuthenticating {
    let users: UserRepository
    let sessions: SessionTokens?
    let cache: IdentityCache?

    public init(users: UserRepository, sessions: SessionTokens?, cache: IdentityCache? = nil) {
        self.users = users
        self.sessions = sessions
        self.cache = cache
    }

    public func identity(forBearer token: String) async throws -> Identity? {
        if let cached = cache?.identity(for: token) { return cached }
        guard let identity = try await verify(token) else { return nil }
        cache?.store(identity, for: token)
        return identity
    }

    private func verify(_ token: String) async throws -> Identity? {
        if token.hasPrefix("mm_") { return try await APITokenAuthenticator(users: users).identity(forBearer: token) }
        guard let sessions, token.utf8.count < 2048, let userId = sessions.verify(token) else { return nil }
        guard let user = try await users.find(id: userId), user.active else { return nil }
        return Identity(userId: user.id, username: user.username, role: user.role)
    }
}

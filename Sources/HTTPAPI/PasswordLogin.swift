import Foundation
import Hummingbird
package import Records

/// Checks a username and password the one way every login goes (`POST /api/auth/login` and the
/// dashboard's sign-in): bounded input, the per-client and per-username throttle, bcrypt through
/// `UserRepository.authenticate`, and an audit entry either way. Every failure is the same 401.
package struct PasswordLogin: Sendable {
    let users: UserRepository
    let audit: AuditLogRepository
    let throttle: LoginThrottle?

    package init(users: UserRepository, audit: AuditLogRepository, throttle: LoginThrottle?) {
        self.users = users
        self.audit = audit
        self.throttle = throttle
    }

    /// The user on success; throws `APIError` 401 `invalid_credentials` (or 429/503) otherwise.
    /// A name no user can have or a password no hash can match is refused before the throttle,
    /// the database and the audit log: it costs nothing, tells nothing (the shapes are public),
    /// and cannot flood the log with names of the caller's choosing.
    package func signIn(username: String, password: String, client: String) async throws -> User {
        guard User.isValidUsername(username), PasswordHasher.canMatch(password) else {
            throw APIError(.unauthorized, code: "invalid_credentials", "invalid username or password")
        }
        try await throttle?.admit(client: client, username: username)
        guard let user = try await users.authenticate(username: username, password: password) else {
            _ = try? await audit.record(
                userId: nil, actor: username, action: "auth.login", resourceType: "auth",
                outcome: .failure, clientAddress: client)
            throw APIError(.unauthorized, code: "invalid_credentials", "invalid username or password")
        }
        _ = try await audit.record(
            userId: user.id, actor: user.username, action: "auth.login", resourceType: "auth", outcome: .success,
            clientAddress: client)
        return user
    }
}

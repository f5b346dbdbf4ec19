import Foundation
import Hummingbird
import JSONSupport
import Records

/// `/api/auth/login`, `/api/users` and their tokens (admin), and `/api/tokens/:id`.
struct UsersController: Sendable {
    let users: UserRepository
    let sessions: SessionTokens?
    let audit: AuditLogRepository
    let identityCache: IdentityCache?
    let loginThrottle: LoginThrottle?

    func addRoutes(to group: RouterGroup<APIRequestContext>) {
        group.post("auth/login", use: login)
        group.get("auth/me", use: me)
        group.get("users", use: list)
        group.post("users", use: create)
        group.patch("users/:id", use: update)
        group.delete("users/:id", use: remove)
        group.get("users/:id/tokens", use: tokens)
        group.post("users/:id/tokens", use: createToken)
        group.delete("tokens/:id", use: revokeToken)
    }

    struct LoginBody: Decodable, Sendable { var username: String; var password: String }
    struct LoginResult: Encodable, Sendable { var token: String; var expiresAt: Date; var user: User }
    struct CreateUserBody: Decodable, Sendable { var username: String; var email: String?; var password: String; var role: String }
    struct UpdateUserBody: Decodable, Sendable { var role: String?; var active: Bool?; var email: String?; var password: String? }
    struct TokenBody: Decodable, Sendable { var name: String; var expiresInDays: Int? }
    struct CreatedToken: Encodable, Sendable { var token: String; var record: APIToken }

    /// Unknown user, wrong password, inactive and locked accounts all get the same 401, so the
    /// answer tells nobody which usernames exist or which accounts are locked.
    @Sendable func login(_ request: Request, context: APIRequestContext) async throws -> APISuccess<LoginResult> {
        guard let sessions else { throw APIError(.serviceUnavailable, code: "login_unavailable", "logins need ENCRYPTION_KEY to be configured") }
        let body = try await request.decodeJSON(as: LoginBody.self, context: context)
        let user = try await PasswordLogin(users: users, audit: audit, throttle: loginThrottle)
            .signIn(username: body.username, password: body.password, client: context.clientAddress)
        let issued = try await sessions.issue(for: user)
        return APISuccess("logged in", LoginResult(token: issued.token, expiresAt: issued.expiresAt, user: user))
    }

    @Sendable func me(_ request: Request, context: APIRequestContext) async throws -> APISuccess<User> {
        let identity = try context.require(.viewer)
        guard let user = try await users.find(id: identity.userId) else { throw APIError.notFound("user") }
        return APISuccess("you", user)
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> APISuccess<PageOf<User>> {
        _ = try context.require(.admin)
        return APISuccess("users", try await users.list(try Paging.page(request)))
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<User>> {
        let identity = try context.require(.admin)
        let body = try await request.decodeJSON(as: CreateUserBody.self, context: context)
        guard let role = UserRole(rawValue: body.role) else { throw APIError.validation("role", "role must be admin, operator or viewer") }
        let user = try await users.create(username: body.username, email: body.email, password: body.password, role: role)
        try await audit.record(identity, "user.create", resource: user.id.lowercasedString, ["username": .string(user.username), "role": .string(role.rawValue)])
        return EditedResponse(status: .created, response: APISuccess("user \(user.username) created", user))
    }

    @Sendable func update(_ request: Request, context: APIRequestContext) async throws -> APISuccess<User> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        let body = try await request.decodeJSON(as: UpdateUserBody.self, context: context)
        let role = try body.role.map { text in
            guard let role = UserRole(rawValue: text) else { throw APIError.validation("role", "role must be admin, operator or viewer") }
            return role
        }
        // An admin cannot lock themselves out; another admin has to do it.
        if id == identity.userId, (role.map { $0 != .admin } ?? false) || body.active == false {
            throw APIError(.conflict, code: "self_lockout", "you cannot demote or deactivate your own account; ask another admin")
        }
        let user = try await users.update(id: id, role: role, active: body.active, email: body.email.map { Optional($0) }, password: body.password)
        var changes: [String: JSONValue] = [:]
        if let role { changes["role"] = .string(role.rawValue) }
        if let active = body.active { changes["active"] = .bool(active) }
        if body.password != nil { changes["password"] = "changed" }
        if body.email != nil { changes["email"] = "changed" }
        identityCache?.invalidateAll()
        try await audit.record(identity, "user.update", resource: id.lowercasedString, .object(changes))
        return APISuccess("user \(user.username) updated", user)
    }

    @Sendable func remove(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        guard id != identity.userId else { throw APIError(.conflict, code: "self_delete", "you cannot delete your own account") }
        guard try await users.delete(id: id) else { throw APIError.notFound("user \(id)") }
        identityCache?.invalidateAll()
        try await audit.record(identity, "user.delete", resource: id.lowercasedString)
        return APISuccess("user deleted", ["id": .string(id.lowercasedString)])
    }

    @Sendable func tokens(_ request: Request, context: APIRequestContext) async throws -> APISuccess<[APIToken]> {
        _ = try context.require(.admin)
        return APISuccess("tokens", try await users.tokens(userId: try Paging.uuid(context, "id")))
    }

    @Sendable func createToken(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<APISuccess<CreatedToken>> {
        let identity = try context.require(.admin)
        let userId = try Paging.uuid(context, "id")
        let body = try await request.decodeJSON(as: TokenBody.self, context: context)
        if let days = body.expiresInDays, !(1...3650).contains(days) { throw APIError.validation("expiresInDays", "expiresInDays must be 1 to 3650") }
        guard let owner = try await users.find(id: userId) else { throw APIError.notFound("user \(userId)") }
        // A deactivated user's tokens are refused; one minted now would come alive with a reactivation nobody linked to it.
        guard owner.active else { throw APIError(.conflict, code: "user_inactive", "user \(owner.username) is deactivated; activate it first") }
        let created = try await users.createToken(userId: userId, name: body.name, expiresAt: body.expiresInDays.map { Date(timeIntervalSinceNow: Double($0) * 86_400) })
        // The owner is named: a token minted for another account must stay traceable if that account goes.
        try await audit.record(
            identity, "token.create", resource: created.record.id.lowercasedString,
            ["name": .string(body.name), "userId": .string(owner.id.lowercasedString), "username": .string(owner.username)])
        return EditedResponse(status: .created, response: APISuccess("token created; it is shown only now", CreatedToken(token: created.token, record: created.record)))
    }

    @Sendable func revokeToken(_ request: Request, context: APIRequestContext) async throws -> APISuccess<JSONValue> {
        let identity = try context.require(.admin)
        let id = try Paging.uuid(context, "id")
        guard let owner = try await users.revokeToken(id: id) else { throw APIError.notFound("active token \(id)") }
        identityCache?.invalidateAll()
        try await audit.record(identity, "token.revoke", resource: id.lowercasedString, ["userId": .string(owner.lowercasedString)])
        return APISuccess("token revoked", ["id": .string(id.lowercasedString)])
    }
}

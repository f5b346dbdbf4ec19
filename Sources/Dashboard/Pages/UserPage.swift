import Foundation
import HTTPAPI
import JSONSupport
import Hummingbird
import Records

/// `/users` (admin): users with their roles and state, their API tokens, and the forms that
/// change them through `/api/users` and `/api/tokens`.
enum UserPage {
    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let users = try await dashboard.domain.users.list(Page(limit: 200))
        var rows: [[String: Any]] = []
        for user in users.items {
            let tokens = try await dashboard.domain.users.tokens(userId: user.id)
            let locked = user.lockedUntil.map { $0 > Date() } ?? false
            let state = !user.active ? "disabled" : locked ? "locked" : "active"
            rows.append([
                "id": user.id.lowercasedString, "username": user.username, "email": user.email ?? "—", "role": user.role.rawValue,
                "roles": UserRole.allCases.reversed().map { ["name": $0.rawValue, "selected": $0 == user.role] as [String: Any] },
                "active": user.active, "state": state, "stateTone": state == "active" ? "ok" : state == "locked" ? "bad" : "warn",
                "detail": (user.email ?? "no email") + " · " + (user.lastLoginAt.map { "last password sign-in " + Format.age($0) } ?? "no password sign-in yet"),
                "isSelf": user.id == viewer.identity.userId,
                "tokens": tokens.map { token -> [String: Any] in
                    let expired = token.expiresAt.map { $0 < Date() } ?? false
                    let tokenState = token.revokedAt != nil ? "revoked" : expired ? "expired" : "active"
                    return [
                        "id": token.id.lowercasedString, "name": token.name, "prefix": token.displayPrefix,
                        "state": tokenState, "stateTone": tokenState == "active" ? "ok" : "muted", "revocable": tokenState == "active",
                        "expires": Format.time(token.expiresAt), "lastUsed": Format.age(token.lastUsedAt),
                    ]
                },
                "tokenCount": tokens.filter { $0.revokedAt == nil }.count,
            ])
        }
        return PageView(template: "users", title: "Users and tokens", section: "users", data: ["users": rows, "total": users.total])
    }
}

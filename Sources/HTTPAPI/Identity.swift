package import Foundation
package import Hummingbird
package import Records

/// Who is calling: the user behind a bearer token.
package struct Identity: Sendable, Equatable {
    package var userId: UUID
    package var username: String
    package var role: UserRole

    package init(userId: UUID, username: String, role: UserRole) {
        self.userId = userId
        self.username = username
        self.role = role
    }

    package init(_ user: User) {
        self.init(userId: user.id, username: user.username, role: user.role)
    }
}

/// Turns a token presented by `client` (its address, for per-network limits) into an identity
/// (nil: not a valid token). A dashboard session's token is valid only in its cookie, where
/// signing out can end it; as a bearer token it is nothing.
package protocol TokenAuthenticating: Sendable {
    func identity(forBearer token: String, from client: String) async throws -> Identity?
    /// The identity of a dashboard session cookie's token; the caller checks that the session has not ended.
    func identity(forSessionCookie token: String, from client: String) async throws -> Identity?
    /// The identity of a bearer token that was valid when a long-lived response began, asked
    /// again while it runs: without the per-network admission, so a network held back for others'
    /// bad tokens cannot make the check fail and keep a revoked token's stream open.
    func identity(rechecking token: String) async throws -> Identity?
}

extension APIRequestContext {
    /// The caller, who must hold at least `role`: 401 without a valid token, 403 below the role.
    package func require(_ role: UserRole) throws -> Identity {
        guard let identity else {
            throw APIError(.unauthorized, code: "unauthorized", "a valid bearer token is required (Authorization: Bearer <token>)")
        }
        guard identity.role >= role else {
            throw APIError(.forbidden, code: "forbidden", "this needs the \(role.rawValue) role; \(identity.username) is \(identity.role.rawValue)")
        }
        return identity
    }
}

/// Reads `Authorization: Bearer …` and sets the context's identity; an invalid token is a 401
/// at once, a missing one is left to the route (`require`). Without the header, a dashboard
/// session cookie may identify the caller (when `browserSessions` is set); a request that changes
/// state must then carry the session's CSRF token, or it is refused with 403 `csrf_failed`.
package struct BearerAuthMiddleware: RouterMiddleware {
    package typealias Context = APIRequestContext
    let authenticator: any TokenAuthenticating
    let browserSessions: BrowserSessions?

    package init(authenticator: any TokenAuthenticating, browserSessions: BrowserSessions? = nil) {
        self.authenticator = authenticator
        self.browserSessions = browserSessions
    }

    package func handle(_ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer",
                let identity = try await authenticator.identity(forBearer: String(parts[1]), from: context.clientAddress)
            else {
                throw APIError(.unauthorized, code: "unauthorized", "the bearer token is invalid, expired or revoked")
            }
            context.identity = identity
            let (authenticator, token) = (authenticator, String(parts[1]))
            context.credentialCheck = CredentialCheck { try await authenticator.identity(rechecking: token)?.userId == identity.userId }
        } else if let browserSessions, let current = try await browserSessions.current(request, context: context) {
            if ![.get, .head].contains(request.method) {
                guard browserSessions.csrfMatches(current, request: request) else {
                    throw APIError(.forbidden, code: "csrf_failed", "this request needs the session's CSRF token (X-CSRF-Token); reload the page")
                }
            }
            context.identity = current.identity
            context.credentialCheck = CredentialCheck { try await browserSessions.isSignedIn(current) }
            var response = try await next(request, context)
            if let renewed = current.renewedCookie { response.setCookie(renewed) }
            return response
        }
        return try await next(request, context)
    }
}

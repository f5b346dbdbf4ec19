import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import JSONSupport
import Records

/// Sign-in, sign-out and the first-run setup: the dashboard's only HTML form posts. Forms shown
/// before a session exists carry a token bound to a random nonce in a cookie of their own
/// (signed double submit); sign-out carries the session's CSRF token. Sign-in goes through
/// `PasswordLogin`, the same path as `POST /api/auth/login`.
struct SignInRoutes: Sendable {
    let dashboard: Dashboard
    static let nonceCookie = "mm_form_nonce"

    var renderer: PageRenderer { dashboard.renderer }
    var sessions: BrowserSessions { dashboard.sessions }

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/login", use: showLogin)
        router.post("/login", use: submitLogin)
        router.post("/logout", use: logout)
        router.get("/setup", use: showSetup)
        router.post("/setup", use: submitSetup)
    }

    @Sendable func showLogin(_ request: Request, context: APIRequestContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        if try await sessions.current(request, context: context) != nil { return renderer.redirect(to: next, request: request) }
        return try await loginPage(request, next: next, error: nil, username: nil, status: .ok)
    }

    @Sendable func submitLogin(_ request: Request, context: APIRequestContext) async throws -> Response {
        let form = try await FormBody(request)
        let next = Self.safeNext(form["next"])
        guard formTokenMatches(request, form) else { return expiredForm(request) }
        let username = form["username"] ?? ""
        do {
            let user = try await dashboard.login.signIn(username: username, password: form["password"] ?? "", client: context.clientAddress)
            var response = renderer.redirect(to: next, request: request)
            response.setCookie(try await sessions.start(for: user, request: request))
            response.setCookie(clearedNonce(request))
            return response
        } catch let error as APIError where error.status == .unauthorized || error.status == .tooManyRequests {
            let message =
                error.status == .tooManyRequests
                ? "Too many sign-in attempts; wait a minute and try again."
                : "Invalid username or password."
            return try await loginPage(request, next: next, error: message, username: username, status: error.status)
        }
    }

    @Sendable func logout(_ request: Request, context: APIRequestContext) async throws -> Response {
        guard let current = try await sessions.current(request, context: context) else { return renderer.redirect(to: "/login", request: request) }
        let form = try await FormBody(request)
        guard sessions.csrfMatches(current, request: request, formValue: form[BrowserSessions.csrfField]) else {
            return renderer.error(status: .forbidden, message: "The sign-out form was not sent by this dashboard.", viewer: Viewer(current))
        }
        var response = renderer.redirect(to: "/login", request: request)
        response.setCookie(try await sessions.end(current, request: request))
        _ = try? await dashboard.domain.audit.record(
            userId: current.identity.userId, actor: current.identity.username, action: "auth.logout", resourceType: "auth",
            outcome: .success, clientAddress: context.clientAddress)
        return response
    }

    @Sendable func showSetup(_ request: Request, context: APIRequestContext) async throws -> Response {
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        if try await dashboard.hasActiveAdmin() { return setupDone() }
        guard try await dashboard.setup.isValid(token) else { return setupInvalid() }
        return try await setupPage(request, token: token, error: nil, username: nil, email: nil, status: .ok)
    }

    @Sendable func submitSetup(_ request: Request, context: APIRequestContext) async throws -> Response {
        let form = try await FormBody(request)
        guard formTokenMatches(request, form) else { return expiredForm(request) }
        let token = form["token"] ?? ""
        let username = form["username"] ?? ""
        let email = (form["email"] ?? "").isEmpty ? nil : form["email"]
        let password = form["password"] ?? ""
        if try await dashboard.hasActiveAdmin() { return setupDone() }
        let problem: String? =
            if !SetupTokens.looksValid(token) { "This setup link is not valid." } else if username.range(of: "^[A-Za-z0-9._-]{3,64}$", options: .regularExpression) == nil {
                "The username must be 3 to 64 letters, digits, dots, dashes or underscores."
            } else if password.count < 8 || password.utf8.count > 1024 { "The password must be at least 8 characters." } else if password != form["confirm"] { "The two passwords differ." } else {
                nil
            }
        if let problem { return try await setupPage(request, token: token, error: problem, username: username, email: email, status: .badRequest) }
        let users = dashboard.domain.users
        let audit = dashboard.domain.audit
        let created: User?
        do {
            created =
                try await dashboard.setup.redeem(token) {
                    guard try await !users.hasActiveAdmin() else { return nil }
                    let user = try await users.create(username: username, email: email, password: password, role: .admin)
                    try await audit.record(
                        userId: user.id, actor: user.username, action: "user.create", resourceType: "user",
                        resourceId: user.id.lowercasedString, outcome: .success, clientAddress: context.clientAddress,
                        details: ["role": "admin", "via": "first-run setup"])
                    return user
                } ?? nil
        } catch let error as RecordError {
            return try await setupPage(request, token: token, error: error.message, username: username, email: email, status: .badRequest)
        }
        guard let created else { return setupInvalid() }
        dashboard.adminExists.invalidate()
        var response = renderer.redirect(to: "/", request: request)
        response.setCookie(try await sessions.start(for: created, request: request))
        response.setCookie(clearedNonce(request))
        return response
    }

    // MARK: - Pages

    private func loginPage(_ request: Request, next: String, error: String?, username: String?, status: HTTPResponse.Status) async throws -> Response {
        let nonce = Self.randomNonce()
        let noAdmin = try await !dashboard.hasActiveAdmin()
        var data: [String: Any] = ["formToken": sessions.preSessionToken(nonce: nonce), "next": next, "noAdmin": noAdmin]
        data["error"] = error
        data["username"] = username
        var response = renderer.renderBare("login", title: "Sign in", data: data, status: status)
        response.setCookie(nonceCookie(nonce, request: request))
        return response
    }

    private func setupPage(
        _ request: Request, token: String, error: String?, username: String?, email: String?,
        status: HTTPResponse.Status
    ) async throws -> Response {
        let nonce = Self.randomNonce()
        var data: [String: Any] = ["formToken": sessions.preSessionToken(nonce: nonce), "token": token]
        data["error"] = error
        data["username"] = username
        data["email"] = email
        var response = renderer.renderBare("setup", title: "Create the first admin", data: data, status: status)
        response.setCookie(nonceCookie(nonce, request: request))
        return response
    }

    private func setupDone() -> Response {
        renderer.renderBare(
            "notice", title: "Setup is done",
            data: [
                "heading": "Setup is done", "message": "An admin exists already; sign in with that account.", "link": "/login", "linkText": "Sign in",
            ], status: .gone)
    }

    private func setupInvalid() -> Response {
        renderer.renderBare(
            "notice", title: "Setup link not valid",
            data: [
                "heading": "This setup link is not valid",
                "message": "It was used, has expired (links last an hour), or was mistyped. Restart medicineman serve to print a new one, "
                    + "or create an admin with: scripts/run.sh user create --username NAME --role admin",
                "link": "/login", "linkText": "Sign in",
            ], status: .notFound)
    }

    private func expiredForm(_ request: Request) -> Response {
        renderer.renderBare(
            "notice", title: "Form expired",
            data: [
                "heading": "This form was not accepted",
                "message": "It expired or was not sent by this dashboard (its security token is missing or wrong). Reload the page and try again.",
                "link": "/login", "linkText": "Back to sign-in",
            ], status: .forbidden)
    }

    // MARK: - Tokens and cookies

    private func formTokenMatches(_ request: Request, _ form: FormBody) -> Bool {
        sessions.preSessionTokenMatches(form[BrowserSessions.csrfField], nonce: sessions.cookieValue(Self.nonceCookie, in: request))
    }

    private func nonceCookie(_ nonce: String, request: Request) -> Cookie {
        sessions.cookie(Self.nonceCookie, value: nonce, maxAge: 3600, for: request)
    }

    private func clearedNonce(_ request: Request) -> Cookie {
        sessions.cookie(Self.nonceCookie, value: "", maxAge: 0, for: request)
    }

    static func randomNonce() -> String {
        var random = SystemRandomNumberGenerator()
        return Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    /// Where to go after signing in: a local path only (never `//host` or a scheme), else `/`.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), next.utf8.count <= 512,
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return "/" }
        return next
    }

    static func encodeNext(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_."))) ?? "/"
    }
}

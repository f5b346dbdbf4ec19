import Dashboard
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Records
import Testing

/// The API fixture's router with the dashboard's routes and cookie sessions added, as
/// `PlatformServer.makeApplication` wires them.
struct DashboardFixture: Sendable {
    let api: APIFixture
    let sessions: BrowserSessions
    /// `METHOD /path` of every route the router serves.
    let routes: Set<String>

    static func run(
        changing change: @escaping @Sendable (inout APIDependencies) -> Void = { _ in },
        _ body: @escaping @Sendable (DashboardFixture, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await APIFixture.run { api in
            let key = try EncryptionKey(hex: String(repeating: "7e", count: 32))
            guard let domain = api.dependencies.domain, let tokens = domain.sessions else { throw DashboardTestError("no domain in the API fixture") }
            var dependencies = api.dependencies
            change(&dependencies)
            let sessions = BrowserSessions(
                tokens: tokens, authenticator: dependencies.authenticator, users: domain.users,
                secret: SessionTokens.signingSecret(sessionSecret: nil, encryptionKey: key), redis: api.redis)
            dependencies.browserSessions = sessions
            let router = try buildRouter(dependencies)
            try Dashboard(domain: domain, queues: api.queues, sessions: sessions, redis: api.redis, version: "test", logger: .init(label: "test"))
                .addRoutes(to: router)
            let routes = Set(router.routes.map { "\($0.method.rawValue.uppercased()) /\(String(describing: $0.path).trimmingCharacters(in: ["/"]))" })
            let fixture = DashboardFixture(api: api, sessions: sessions, routes: routes)
            try await Application(router: router).test(.router) { client in try await body(fixture, client) }
        }
    }
}

struct DashboardTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A browser's cookies and the CSRF token of its session, for driving the dashboard in tests.
struct BrowserClient {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf = ""

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    var cookieHeader: HTTPFields {
        cookies.isEmpty ? [:] : [.cookie: cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    /// Sends a request with the jar's cookies and keeps the cookies the answer sets.
    @discardableResult
    mutating func send(_ uri: String, _ method: HTTPRequest.Method = .get, headers: HTTPFields = [:], body: String? = nil) async throws -> TestResponse {
        var all = cookieHeader
        for field in headers { all.append(field) }
        let response = try await client.execute(uri: uri, method: method, headers: all, body: body.map { ByteBuffer(string: $0) })
        for line in response.headers[values: .setCookie] {
            guard let pair = line.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
            let value = String(pair[pair.index(after: equals)...])
            if value.isEmpty { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    /// Signs in through the sign-in form, as a browser does; returns the final answer.
    @discardableResult
    mutating func signIn(_ username: String, _ password: String) async throws -> TestResponse {
        let form = try await send("/login")
        let token = try Self.hiddenField("csrf", in: String(buffer: form.body))
        let response = try await send(
            "/login", .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: "csrf=\(token)&next=%2F&username=\(username)&password=\(password)")
        if response.status == .seeOther {
            let page = try await send("/")
            csrf = try Self.meta("csrf-token", in: String(buffer: page.body))
        }
        return response
    }

    static func hiddenField(_ name: String, in html: String) throws -> String {
        try match(#"name="\#(name)" value="([^"]*)""#, in: html)
    }

    static func meta(_ name: String, in html: String) throws -> String {
        try match(#"<meta name="\#(name)" content="([^"]*)">"#, in: html)
    }

    static func match(_ pattern: String, in text: String) throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        guard let found = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(found.range(at: 1), in: text)
        else { throw DashboardTestError("no match for \(pattern)") }
        return String(text[range])
    }
}

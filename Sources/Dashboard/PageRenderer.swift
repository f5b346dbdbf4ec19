import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import Records

/// Renders the mustache templates shipped as resources. Every value goes through `{{ }}`, which
/// escapes HTML; templates never use `{{{ }}}`. Every answer carries a strict Content-Security-Policy
/// (scripts, styles and connections from this origin only; no inline code), no framing, no referrer.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let version: String

    static let securityHeaders: [(HTTPField.Name, String)] = [
        (
            .contentSecurityPolicy,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        (HTTPField.Name("Cross-Origin-Opener-Policy")!, "same-origin"),
    ]

    static let sections: [(id: String, title: String, href: String, adminOnly: Bool)] = [
        ("overview", "Overview", "/", false), ("jobs", "Jobs", "/jobs", false), ("servers", "Servers", "/servers", false),
        ("backups", "Backups", "/backups", false), ("schedules", "Schedules", "/schedules", false), ("scans", "Scans", "/scans", false),
        ("updates", "Updates", "/updates", false), ("users", "Users", "/users", true), ("webhooks", "Webhooks", "/webhooks", true),
        ("audit", "Audit log", "/audit", true),
    ]

    init(version: String) throws {
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil) else {
            throw DashboardError("the dashboard's templates are missing from the binary's resources")
        }
        var library = MustacheLibrary()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".mustache") }
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            do {
                try library.register(text, named: String(file.dropLast(".mustache".count)))
            } catch {
                throw DashboardError("template \(file) does not parse: \(error)")
            }
        }
        self.library = library
        self.version = version
    }

    /// A page inside the layout (navigation, user, CSRF token for the scripts).
    func render(_ page: PageView, viewer: Viewer, status: HTTPResponse.Status = .ok) -> Response {
        var data = page.data
        data["title"] = page.title
        data["version"] = version
        data["csrf"] = viewer.csrfToken
        data["username"] = viewer.identity.username
        data["role"] = viewer.identity.role.rawValue
        data["canOperate"] = viewer.canOperate
        data["isAdmin"] = viewer.isAdmin
        data["nav"] = Self.sections.filter { !$0.adminOnly || viewer.isAdmin }.map { section -> [String: Any] in
            ["title": section.title, "href": section.href, "current": section.id == page.section]
        }
        return html(library.render(data, withTemplate: page.template) ?? "", status: status)
    }

    /// A page shown before anyone signs in (sign-in, setup): no navigation.
    func renderBare(_ template: String, title: String, data: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var data = data
        data["title"] = title
        data["version"] = version
        return html(library.render(data, withTemplate: template) ?? "", status: status)
    }

    func error(status: HTTPResponse.Status, message: String, viewer: Viewer) -> Response {
        render(
            PageView(
                template: "error", title: "\(status.code) \(status.reasonPhrase)", section: "",
                data: ["status": String(status.code), "reason": status.reasonPhrase, "message": message]),
            viewer: viewer, status: status)
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        response(status, [.contentType: "text/html; charset=utf-8"], body: text)
    }

    /// 303 to a local path (after a form post, or to the sign-in page).
    func redirect(to path: String, request: Request) -> Response {
        response(.seeOther, [.location: path])
    }

    /// JSON for the dashboard's own small endpoints (the schedule preview).
    func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        response(status, [.contentType: "application/json"], body: text)
    }

    /// Every dashboard answer: never cached, with the security headers.
    private func response(_ status: HTTPResponse.Status, _ fields: HTTPFields, body: String? = nil) -> Response {
        var headers = fields
        headers[.cacheControl] = "no-store"
        for (name, value) in Self.securityHeaders { headers[name] = value }
        return Response(status: status, headers: headers, body: body.map { .init(byteBuffer: ByteBuffer(string: $0)) } ?? .init())
    }
}

/// Something the dashboard itself cannot do (its resources are missing or broken).
struct DashboardError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import HTTPAPI
import Records

/// The signed-in person a page is rendered for: who, what they may do, and their CSRF token.
struct Viewer: Sendable {
    let identity: Identity
    let csrfToken: String

    init(_ current: BrowserSessions.Current) {
        identity = current.identity
        csrfToken = current.csrfToken
    }

    /// May start backups, scans, updates, restores; test connections; retry, promote, remove jobs.
    var canOperate: Bool { identity.role >= .operator }
    /// May manage servers, schedules, queues, users and tokens.
    var isAdmin: Bool { identity.role == .admin }
}

/// What a page handler produces: its template, title, navigation section and template data.
struct PageView {
    var template: String
    var title: String
    var section: String
    var data: [String: Any]
}

import Foundation
import HTTPAPI
import Hummingbird
import Records

/// What the lists of one kind of server record (backups, scans, updates) share: the `?serverId=`
/// filter, the server picker and the rows' server names, and the page's data with its links.
struct ServerRecordList {
    var query: ListQuery
    let serverId: UUID?
    let picker: [[String: Any]]
    let serverNames: [UUID: String]

    init(_ dashboard: Dashboard, _ request: Request, path: String) async throws {
        query = ListQuery(request, path: path)
        serverId = query.serverId()
        // Every server (the first 200), for the picker and the rows' server names.
        let servers = try await dashboard.domain.servers.list(Page(limit: 200)).items
        serverNames = Dictionary(servers.map { ($0.id, $0.name) }) { first, _ in first }
        picker = servers.map { [selected = serverId] in ["id": $0.id.lowercasedString, "name": $0.name, "selected": $0.id == selected] }
    }

    func serverName(_ id: UUID) -> String { serverNames[id] ?? "—" }

    /// The page's data: `rows` under `key`, the total, the picker and the paging links.
    func data<Item>(_ key: String, rows: [[String: Any]], of page: PageOf<Item>) -> [String: Any] {
        var data: [String: Any] = [key: rows, "empty": rows.isEmpty, "total": page.total, "servers": picker]
        query.addLinks(for: page, to: &data)
        return data
    }
}

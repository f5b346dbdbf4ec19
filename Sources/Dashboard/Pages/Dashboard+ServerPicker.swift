import Foundation
import HTTPAPI
import Records

extension Dashboard {
    /// Every server (the first 200), for a list page's server picker and its rows' server names.
    func serverPicker(selected: UUID?) async throws -> (names: [UUID: String], picker: [[String: Any]]) {
        let servers = try await domain.servers.list(Page(limit: 200)).items
        let names = Dictionary(servers.map { ($0.id, $0.name) }) { first, _ in first }
        return (names, servers.map { ["id": $0.id.lowercasedString, "name": $0.name, "selected": $0.id == selected] })
    }
}

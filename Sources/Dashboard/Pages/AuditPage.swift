import Foundation
import HTTPAPI
import JSONSupport
import Hummingbird
import Records

/// `/audit` (admin): who did what to which resource, newest first, from `AuditLogRepository.list`.
enum AuditPage {
    static let resourceTypes = ["auth", "backup", "queue", "scan", "schedule", "server", "token", "update", "user"]

    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        var query = ListQuery(request, path: "/audit", pageSize: 100)
        let type = query.filter("type", { resourceTypes.contains($0) ? $0 : nil }, as: { $0 })
        let page = try await dashboard.domain.audit.list(query.page, resourceType: type)
        let rows: [[String: Any]] = page.items.map { entry in
            var row: [String: Any] = [
                "when": Format.time(entry.createdAt), "age": Format.age(entry.createdAt), "actor": entry.actor, "action": entry.action,
                "resource": entry.resourceId ?? "—", "outcome": entry.outcome.rawValue, "outcomeTone": Format.tone(entry.outcome.rawValue),
                "client": entry.clientAddress ?? "—",
            ]
            if let members = entry.details.objectValue, !members.isEmpty { row["details"] = entry.details.jsonText }
            return row
        }
        var data: [String: Any] = [
            "entries": rows, "empty": rows.isEmpty, "total": page.total,
            "types": resourceTypes.map { ["name": $0, "selected": $0 == type] as [String: Any] },
        ]
        query.addLinks(for: page, to: &data)
        return PageView(template: "audit", title: "Audit log", section: "audit", data: data)
    }
}

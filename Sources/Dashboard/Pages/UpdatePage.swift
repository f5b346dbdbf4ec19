import Foundation
import HTTPAPI
import Hummingbird
import JSONSupport
import Records

/// `/updates`: package checks and upgrades per server, with their package lists and output.
enum UpdatePage {
    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let list = try await ServerRecordList(dashboard, request, path: "/updates")
        let page = try await dashboard.domain.updates.list(list.query.page, serverId: list.serverId)
        let rows: [[String: Any]] = page.items.map { update in
            let upgradable = packages(update.upgradable)
            let upgraded = packages(update.upgraded)
            var row: [String: Any] = [
                "id": update.id.lowercasedString, "server": list.serverName(update.serverId), "mode": update.mode.rawValue,
                "status": update.status.rawValue, "statusTone": Format.tone(update.status.rawValue), "manager": update.packageManager ?? "—",
                "upgradableCount": upgradable.count, "upgradedCount": upgraded.count, "created": Format.age(update.createdAt),
                "completed": Format.time(update.completedAt), "upgradable": upgradable.map { ["name": $0] }, "upgraded": upgraded.map { ["name": $0] },
                "reboot": update.rebootRequired == true, "live": update.status == .pending || update.status == .running,
                "jobId": update.id.lowercasedString,
            ]
            row["log"] = update.log.isEmpty ? nil : update.log
            row["error"] = update.error.flatMap { $0.isEmpty ? nil : $0 }
            return row
        }
        return PageView(template: "updates", title: "Updates", section: "updates", data: list.data("updates", rows: rows, of: page))
    }

    /// Package names from a stored list (strings, or objects with a `name`).
    static func packages(_ value: JSONValue) -> [String] {
        guard case .array(let items) = value else { return [] }
        return items.compactMap { $0.stringValue ?? $0["name"]?.stringValue }
    }
}

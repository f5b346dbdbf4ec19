import Foundation
import HTTPAPI
import JSONSupport
import Hummingbird
import Records

/// `/servers`: each server with its connection state, pinned host key, last backup and last scan;
/// operators test connections and start backups, scans and updates; admins add and remove servers.
enum ServerPage {
    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let servers = try await dashboard.domain.servers.list(Page(limit: 200))
        let backups = try await dashboard.domain.backups.latestPerServer()
        let scans = try await dashboard.domain.scans.latestPerServer()
        let rows: [[String: Any]] = servers.items.map { server in
            let id = server.id.lowercasedString
            let connection = server.online.map { $0 ? "online" : "offline" } ?? "unchecked"
            var row: [String: Any] = [
                "id": id, "name": server.name, "host": server.host, "port": server.port, "username": server.username,
                "authType": server.authType.rawValue, "connection": connection, "connectionTone": Format.tone(connection),
                "checked": Format.age(server.lastCheckedAt), "tags": server.tags.map { ["tag": $0] },
                "fingerprint": server.hostKeyFingerprint
                    ?? (server.authType == .password ? "not pinned: a password server needs its key pinned (PATCH hostKeyFingerprint)" : "not pinned yet (pinned on first contact)"),
                "backupPaths": (backups[server.id]?.paths ?? ["/etc"]).joined(separator: ", "),
            ]
            row["checkError"] = server.lastCheckError.flatMap { $0.isEmpty ? nil : $0 }
            if let backup = backups[server.id] {
                row["backupStatus"] = backup.status.rawValue
                row["backupTone"] = Format.tone(backup.status.rawValue)
                row["backupAge"] = Format.age(backup.completedAt ?? backup.createdAt)
            }
            if let scan = scans[server.id] {
                row["scanStatus"] = scan.status.rawValue
                row["scanTone"] = Format.tone(scan.status.rawValue)
                row["scanAge"] = Format.age(scan.completedAt ?? scan.createdAt)
                row["scanId"] = scan.id.lowercasedString
            }
            return row
        }
        return PageView(
            template: "servers", title: "Servers", section: "servers",
            data: [
                "servers": rows, "empty": rows.isEmpty, "total": servers.total,
            ])
    }
}

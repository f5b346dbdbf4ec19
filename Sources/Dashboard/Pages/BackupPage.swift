import Foundation
import HTTPAPI
import JSONSupport
import Hummingbird
import Records

/// `/backups`: size, SHA-256, verification and age of each backup; rows still running show a live
/// progress bar; operators verify, restore and delete; servers whose last success is older than
/// their schedule's period are flagged.
enum BackupPage {
    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        var list = try await ServerRecordList(dashboard, request, path: "/backups")
        let status = list.query.filter("status", RecordStatus.init(rawValue:), as: \.rawValue)
        let page = try await dashboard.domain.backups.list(list.query.page, serverId: list.serverId, status: status)
        let rows: [[String: Any]] = page.items.map { backup in
            var row: [String: Any] = [
                "id": backup.id.lowercasedString, "server": list.serverName(backup.serverId), "kind": backup.kind.rawValue,
                "status": backup.status.rawValue, "statusTone": Format.tone(backup.status.rawValue),
                "verification": backup.verification.rawValue, "verificationTone": Format.tone(backup.verification.rawValue),
                "size": Format.bytes(backup.size), "created": Format.age(backup.createdAt), "createdFull": Format.time(backup.createdAt),
                "completed": Format.time(backup.completedAt), "paths": backup.paths.joined(separator: ", "),
                "compression": backup.compression.rawValue,
                "live": backup.status == .pending || backup.status == .running,
                // Finished in the last minute: its full bar stays, so a quick backup is seen to reach 100 %.
                "justDone": backup.status == .completed && (backup.completedAt.map { Date().timeIntervalSince($0) < 60 } ?? false),
                "canVerify": viewer.canOperate && backup.status == .completed,
                "canRestore": viewer.canOperate && backup.status == .completed,
                "canDelete": viewer.canOperate && backup.status != .running,
                "restoreTarget": "/var/tmp/medicineman-restore/\(backup.id.lowercasedString)",
            ]
            row["sha256"] = backup.sha256
            row["sha256Short"] = backup.sha256.map { String($0.prefix(12)) + "…" }
            row["jobId"] = backup.id.lowercasedString  // a backup's job id is its record id
            row["error"] = backup.error.flatMap { $0.isEmpty ? nil : $0 }
            row["warning"] = backup.warning.flatMap { $0.isEmpty ? nil : $0 }
            return row
        }
        let schedules = try await dashboard.domain.schedules.list(Page(limit: 200))
        let stale = BackupFreshness.warnings(
            schedules: schedules.items, lastSuccess: try await dashboard.domain.backups.lastSuccessPerServer(),
            serverNames: list.serverNames)
        var data = list.data("backups", rows: rows, of: page)
        data["warnings"] = stale.map { ["server": $0.serverName, "message": $0.message] }
        data["statuses"] = ["pending", "running", "completed", "failed"].map { ["name": $0, "selected": $0 == (status?.rawValue ?? "")] as [String: Any] }
        return PageView(template: "backups", title: "Backups", section: "backups", data: data)
    }
}

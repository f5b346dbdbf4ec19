import Foundation
import HTTPAPI
import Hummingbird
import JSONSupport
import JobQueue
import Records

/// `/schedules`: each schedule with its next runs, retention and last outcome; admins create and
/// edit them (the form previews the next runs of the cron and time zone as they are typed, from
/// `/schedules/preview`), operators run one now.
enum SchedulePage {
    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let servers = try await dashboard.domain.servers.list(Page(limit: 200)).items
        let names = Dictionary(servers.map { ($0.id, $0.name) }) { first, _ in first }
        let schedules = try await dashboard.domain.schedules.list(Page(limit: 200)).items
        let editing = request.uri.queryParameters["edit"].flatMap { UUID(uuidString: String($0)) }.flatMap { id in schedules.first { $0.id == id } }
        let rows: [[String: Any]] = schedules.map { schedule in
            let timing = try? ScheduleTiming(cron: schedule.cron, timezone: schedule.timezone)
            let zone = timing?.timeZone ?? TimeZone(identifier: "UTC") ?? .current
            var row: [String: Any] = [
                "id": schedule.id.lowercasedString, "server": names[schedule.serverId] ?? "—", "cron": schedule.cron,
                "timezone": schedule.timezone, "paths": schedule.paths.joined(separator: ", "), "enabled": schedule.enabled,
                "enabledText": schedule.enabled ? "enabled" : "disabled", "enabledTone": Format.tone(schedule.enabled ? "enabled" : "disabled"),
                "nextRuns": (timing?.nextRuns(after: dashboard.domain.clock(), count: 3) ?? []).map { ["time": Format.time($0, in: zone)] },
                "retention": retentionText(schedule.retention), "lastRun": Format.age(schedule.lastRunAt),
            ]
            row["lastStatus"] = schedule.lastStatus
            row["lastStatusTone"] = schedule.lastStatus.map(Format.tone)
            row["lastError"] = schedule.lastError.flatMap { $0.isEmpty ? nil : $0 }
            if schedule.skippedRuns > 0 { row["skipped"] = "\(schedule.skippedRuns) missed while no scheduler ran" }
            return row
        }
        var form: [String: Any] = [
            "method": "POST", "action": "/api/schedules", "heading": "New schedule", "submit": "Create schedule",
            "cron": "30 2 * * *", "timezone": "UTC", "paths": "/etc", "exclusions": "", "enabled": true,
            "keepLast": "7", "daily": "", "weekly": "", "monthly": "",
        ]
        var selectedServer = servers.first?.id
        var compression = Compression.gzip
        if let editing {
            let id = editing.id.lowercasedString
            form = [
                "method": "PUT", "action": "/api/schedules/\(id)", "heading": "Edit schedule", "submit": "Save schedule", "editing": true,
                "cron": editing.cron, "timezone": editing.timezone, "paths": editing.paths.joined(separator: ", "),
                "exclusions": editing.exclusions.joined(separator: ", "), "enabled": editing.enabled,
                "keepLast": editing.retention.keepLast.map(String.init) ?? "", "daily": editing.retention.daily.map(String.init) ?? "",
                "weekly": editing.retention.weekly.map(String.init) ?? "", "monthly": editing.retention.monthly.map(String.init) ?? "",
            ]
            selectedServer = editing.serverId
            compression = editing.compression
        }
        form["servers"] = servers.map { ["id": $0.id.lowercasedString, "name": $0.name, "selected": $0.id == selectedServer] as [String: Any] }
        form["compressions"] = Compression.allCases.map { ["name": $0.rawValue, "selected": $0 == compression] as [String: Any] }
        return PageView(
            template: "schedules", title: "Schedules", section: "schedules",
            data: [
                "schedules": rows, "empty": rows.isEmpty, "form": form, "noServers": servers.isEmpty,
                "timezones": TimeZone.knownTimeZoneIdentifiers.sorted().map { ["name": $0] },
            ])
    }

    static func retentionText(_ retention: RetentionPolicy) -> String {
        var parts: [String] = []
        if let value = retention.keepLast { parts.append("last \(value)") }
        if let value = retention.daily { parts.append("\(value) daily") }
        if let value = retention.weekly { parts.append("\(value) weekly") }
        if let value = retention.monthly { parts.append("\(value) monthly") }
        return parts.isEmpty ? "keep all" : parts.joined(separator: ", ")
    }

    /// `GET /schedules/preview?cron=&timezone=`: the next five runs, or why the cron or zone is wrong (JSON; any signed-in role).
    static func preview(_ dashboard: Dashboard) -> @Sendable (Request, APIRequestContext) async throws -> Response {
        { request, context in
            guard try await dashboard.sessions.current(request, context: context) != nil else {
                return dashboard.renderer.json(JSONValue.object(["ok": false, "error": "sign in first"]).jsonText, status: .unauthorized)
            }
            let query = request.uri.queryParameters
            let cron = query["cron"].map(String.init) ?? ""
            let zoneName = query["timezone"].map(String.init).flatMap { $0.isEmpty ? nil : $0 } ?? "UTC"
            let answer: JSONValue
            do {
                let timing = try ScheduleTiming(cron: cron, timezone: zoneName)
                let runs = timing.nextRuns(after: dashboard.domain.clock(), count: 5)
                answer = [
                    "ok": true, "runs": .array(runs.map { .string(Format.time($0, in: timing.timeZone)) }),
                    "utc": .array(runs.map { .string(Format.time($0)) }),
                ]
            } catch let error as ScheduleFieldError {
                answer = ["ok": false, "field": .string(error.field), "error": .string(error.message)]
            }
            return dashboard.renderer.json(answer.jsonText)
        }
    }
}

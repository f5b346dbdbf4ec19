import Foundation
import HTTPAPI
import Hummingbird
import JobQueue
import JSONSupport
import Records

/// `/jobs` (filtered like `GET /api/jobs`) and `/jobs/:id` (data, attempts, timings, logs, failed
/// reason, and a progress bar fed by `GET /api/jobs/:id/events`).
enum JobPages {
    static let pageSize = 50
    static let states = ["waiting", "active", "delayed", "prioritized", "completed", "failed", "paused", "waiting-children"]

    @Sendable static func list(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let query = request.uri.queryParameters
        func filter(_ name: String) -> String? { query[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let offset = max(0, min(Int(filter("offset") ?? "") ?? 0, JobsController.listingBudget))
        let (queue, state, name, serverId) = (filter("queue"), filter("state"), filter("name"), filter("serverId"))
        let list = try await dashboard.jobs.jobs(queue: queue, state: state, name: name, serverId: serverId, limit: pageSize, offset: offset)
        let servers = try await dashboard.domain.servers.list(Page(limit: 200)).items
        let names = Dictionary(servers.map { ($0.id.lowercasedString, $0.name) }) { first, _ in first }
        let rows: [[String: Any]] = list.jobs.map { job in
            var row = summary(job)
            row["server"] = job.data["serverId"]?.stringValue.flatMap { names[$0.lowercased()] } ?? "—"
            return row
        }
        func link(_ offset: Int) -> String {
            var parts = ["offset=\(offset)"]
            for (key, value) in [("queue", queue), ("state", state), ("name", name), ("serverId", serverId)] {
                if let value, let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.:"))) {
                    parts.append("\(key)=\(encoded)")
                }
            }
            return "/jobs?" + parts.joined(separator: "&")
        }
        var data: [String: Any] = [
            "jobs": rows, "empty": rows.isEmpty, "total": list.total, "from": rows.isEmpty ? 0 : offset + 1, "to": offset + rows.count,
            "queues": dashboard.queues.map { ["name": $0.name, "selected": $0.name == queue] as [String: Any] },
            "states": states.map { ["name": $0, "selected": $0 == state] as [String: Any] },
            "servers": servers.map { ["id": $0.id.lowercasedString, "name": $0.name, "selected": $0.id.lowercasedString == serverId?.lowercased()] as [String: Any] },
            "name": name ?? "",
        ]
        if offset > 0 { data["previous"] = link(max(0, offset - pageSize)) }
        if rows.count == pageSize { data["next"] = link(offset + pageSize) }
        return PageView(template: "jobs", title: "Jobs", section: "jobs", data: data)
    }

    @Sendable static func detail(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let (queue, job, state) = try await dashboard.jobs.find(try context.parameters.require("id"))
        let resource = JobResource(job, state: state)
        let logs = try await queue.getLogs(job.id)
        var data = summary(resource)
        let created = Format.date(milliseconds: resource.timestamp)
        let processed = Format.date(milliseconds: resource.processedOn)
        let finished = Format.date(milliseconds: resource.finishedOn)
        data["processedAt"] = Format.time(processed)
        data["finishedAt"] = Format.time(finished)
        data["createdFull"] = Format.time(created)
        if let created, let processed { data["waited"] = Format.duration(processed.timeIntervalSince(created)) }
        if let processed, let finished { data["ran"] = Format.duration(finished.timeIntervalSince(processed)) }
        data["dataJSON"] = Format.pretty(resource.data)
        data["progressJSON"] = resource.progress.map { Format.pretty($0) }
        data["returnJSON"] = resource.returnValue.map { Format.pretty($0) }
        data["failedReason"] = resource.failedReason.flatMap { $0.isEmpty ? nil : $0 }
        data["logs"] = logs.map { ["line": $0] }
        data["noLogs"] = logs.isEmpty
        data["priority"] = resource.priority
        data["delay"] = resource.delay > 0 ? Format.duration(Double(resource.delay) / 1000) : nil
        data["live"] = !["completed", "failed"].contains(resource.state)
        data["canRetry"] = viewer.canOperate && resource.state == "failed"
        data["canPromote"] = viewer.canOperate && resource.state == "delayed"
        data["canRemove"] = viewer.canOperate && resource.state != "active"
        if let record = resource.data["recordId"]?.stringValue, let recordId = UUID(uuidString: record) {
            let id = recordId.lowercasedString
            switch queue.name {
            case "scan-queue": data["recordLink"] = "/scans/\(id)"
            case "update-queue": data["recordLink"] = "/updates#update-\(id)"
            default: data["recordLink"] = "/backups#backup-\(id)"
            }
        }
        return PageView(template: "job", title: "Job \(resource.name)", section: "jobs", data: data)
    }

    /// What a job's row and page both show.
    static func summary(_ job: JobResource) -> [String: Any] {
        var row: [String: Any] = [
            "id": job.id, "name": job.name, "queue": job.queue, "state": job.state, "stateTone": Format.tone(job.state),
            "attempts": "\(job.attemptsMade)/\(job.attemptsAllowed)", "created": Format.age(Format.date(milliseconds: job.timestamp)),
            "finished": Format.age(Format.date(milliseconds: job.finishedOn)),
        ]
        let percent = job.state == "completed" ? 100 : Format.percent(job.progress)
        row["percentValue"] = percent ?? 0
        row["percentText"] = percent.map { "\($0) %" } ?? (job.state == "active" ? "running" : "—")
        row["indeterminate"] = percent == nil && job.state == "active"
        row["done"] = job.state == "completed"
        return row
    }
}

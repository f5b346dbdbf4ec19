import Foundation
import HTTPAPI
import Hummingbird
import JSONSupport
import Records

/// `/scans` and `/scans/:id`: what a scan found (services, open ports, filesystems, containers,
/// packages, recommendations) and what changed since the server's previous completed scan.
enum ScanPages {
    @Sendable static func list(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let list = try await ServerRecordList(dashboard, request, path: "/scans")
        let page = try await dashboard.domain.scans.list(list.query.page, serverId: list.serverId)
        let rows: [[String: Any]] = page.items.map { scan in
            var row: [String: Any] = [
                "id": scan.id.lowercasedString, "server": list.serverName(scan.serverId), "type": scan.scanType.rawValue,
                "status": scan.status.rawValue, "statusTone": Format.tone(scan.status.rawValue), "created": Format.age(scan.createdAt),
                "os": scan.summary["os"]?.stringValue ?? "—",
                "services": scan.summary["services"]?.intValue.map(String.init) ?? "—",
                "live": scan.status == .pending || scan.status == .running, "jobId": scan.id.lowercasedString,
            ]
            row["duration"] = scan.durationMs.map { Format.duration(Double($0) / 1000) }
            row["error"] = scan.error.flatMap { $0.isEmpty ? nil : $0 }
            return row
        }
        return PageView(template: "scans", title: "Scans", section: "scans", data: list.data("scans", rows: rows, of: page))
    }

    @Sendable static func detail(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let text = try context.parameters.require("id")
        guard let id = UUID(uuidString: text), let scan = try await dashboard.domain.scans.find(id: id) else { throw APIError.notFound("scan \(text)") }
        let findings = try await dashboard.domain.scans.findings(scanId: scan.id)
        let server = try await dashboard.domain.servers.find(id: scan.serverId)
        var data: [String: Any] = [
            "id": scan.id.lowercasedString, "server": server?.name ?? "—", "serverId": scan.serverId.lowercasedString,
            "type": scan.scanType.rawValue, "status": scan.status.rawValue, "statusTone": Format.tone(scan.status.rawValue),
            "created": Format.time(scan.createdAt), "completed": Format.time(scan.completedAt),
            "facts": facts(scan.summary),
            "services": findings.services.map { service -> [String: Any] in
                [
                    "name": service.name, "type": service.serviceType, "status": service.status, "statusTone": Format.tone(service.status == "running" ? "ok" : service.status),
                    "version": service.version ?? "—", "ports": service.ports.map(String.init).joined(separator: ", "),
                    "dataPaths": service.dataPaths.joined(separator: ", "),
                ]
            },
            "ports": ScanChanges.openPorts(findings).sorted().map { ["port": $0] },
            "filesystems": findings.filesystems.map { fs -> [String: Any] in
                [
                    "mount": fs.mountPoint, "device": fs.device, "type": fs.filesystemType, "size": Format.bytes(fs.totalBytes),
                    "used": Format.bytes(fs.usedBytes), "free": Format.bytes(fs.availableBytes),
                    "usedPercent": Self.percent(fs.usedBytes, of: fs.totalBytes),
                ]
            },
            "containers": findings.containers.map {
                [
                    "name": $0.name, "image": $0.image, "state": $0.state,
                    "ports": $0.hostPorts.map(String.init).joined(separator: ", "),
                ]
            },
            "packages": findings.packages.map { ["manager": $0.manager, "installed": $0.installedCount, "upgradable": $0.upgradableCount] as [String: Any] },
            "recommendations": findings.recommendations.map { rec -> [String: Any] in
                var item: [String: Any] = [
                    "title": rec.title, "priority": rec.priority, "description": rec.description,
                    "priorityTone": ["critical": "bad", "high": "bad", "medium": "warn"][rec.priority] ?? "muted",
                    "paths": rec.paths.joined(separator: ", "),
                ]
                item["size"] = rec.estimatedBytes.map { "about " + Format.bytes($0) }
                return item
            },
        ]
        data["error"] = scan.error.flatMap { $0.isEmpty ? nil : $0 }
        data["hasContainers"] = !findings.containers.isEmpty
        if let previous = try await dashboard.domain.scans.previousCompleted(before: scan) {
            let changes = ScanChanges(previous: try await dashboard.domain.scans.findings(scanId: previous.id), current: findings)
            data["previous"] = ["id": previous.id.lowercasedString, "when": Format.time(previous.completedAt ?? previous.createdAt)]
            data["changes"] = changes.lines.map { ["kind": $0.kind, "text": $0.text] }
            data["noChanges"] = changes.lines.isEmpty
        }
        return PageView(template: "scan", title: "Scan of \(server?.name ?? "a server")", section: "scans", data: data)
    }

    /// `used` as a whole percentage of `total`, 0 to 100 whatever a host reported (a scan row may
    /// hold sizes no disk has: the ratio must not trap on its way to an Int).
    static func percent(_ used: Int64, of total: Int64) -> Int {
        guard total > 0, used > 0 else { return 0 }
        return Int(min(100, (Double(used) / Double(total) * 100).rounded(.down)))
    }

    /// The summary's host facts, in reading order.
    static func facts(_ summary: JSONValue) -> [[String: String]] {
        var facts: [[String: String]] = []
        func add(_ label: String, _ value: String?) { if let value, !value.isEmpty { facts.append(["label": label, "value": value]) } }
        add("Hostname", summary["hostname"]?.stringValue)
        add("Operating system", summary["os"]?.stringValue)
        add("Kernel", summary["kernel"]?.stringValue)
        add("CPUs", summary["cpus"]?.intValue.map(String.init))
        add("Memory", summary["memoryBytes"]?.intValue.map { Format.bytes(Int64($0)) })
        add("Up for", summary["uptimeSeconds"]?.intValue.map { Format.duration(Double($0)) })
        if case .array(let probes)? = summary["unavailableProbes"], !probes.isEmpty {
            add("Probes unavailable", probes.compactMap(\.stringValue).joined(separator: ", "))
        }
        return facts
    }
}

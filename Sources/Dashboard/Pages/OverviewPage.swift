import Foundation
import HTTPAPI
import JSONSupport
import Hummingbird
import JobQueue
import Records

/// `/`: per queue its counts, health with reasons, workers and the last hour's throughput
/// (twelve five-minute bars from the finished sets); what needs attention. Counts refresh live
/// from `GET /api/metrics/queues`; admins pause and resume queues.
enum OverviewPage {
    static let buckets = 12
    static let bucketMinutes = 5

    @Sendable static func build(_ dashboard: Dashboard, _ request: Request, _ context: APIRequestContext, _ viewer: Viewer) async throws -> PageView {
        let metrics = try await dashboard.jobs.queueMetrics()
        var queues: [[String: Any]] = []
        var attention: [[String: Any]] = []
        for metric in metrics {
            guard let queue = dashboard.queues.first(where: { $0.name == metric.queue }) else { continue }
            let finished = try await queue.finishedPerInterval(buckets: buckets, interval: .seconds(bucketMinutes * 60))
            var item: [String: Any] = [
                "name": metric.queue, "waiting": metric.waiting + metric.prioritized + metric.paused, "active": metric.active,
                "delayed": metric.delayed, "failed": metric.failed, "completed": metric.completed, "workers": metric.workers,
                "paused": metric.isPaused, "health": metric.health.status, "healthTone": Format.tone(metric.health.status),
                "reasons": metric.health.reasons.map { ["text": $0] },
                "completedHour": finished.completed.reduce(0, +), "failedHour": finished.failed.reduce(0, +),
                "bars": bars(completed: finished.completed, failed: finished.failed),
            ]
            item["failedAny"] = metric.failed > 0
            item["completedAny"] = metric.completed > 0
            item["pauseHidden"] = metric.isPaused
            item["resumeHidden"] = !metric.isPaused
            queues.append(item)
            for reason in metric.health.reasons { attention.append(["text": "\(metric.queue): \(reason)", "href": "/jobs?queue=\(metric.queue)"]) }
        }
        let servers = try await dashboard.domain.servers.list(Page(limit: 200))
        let schedules = try await dashboard.domain.schedules.list(Page(limit: 200))
        let names = Dictionary(servers.items.map { ($0.id, $0.name) }) { first, _ in first }
        let stale = BackupFreshness.warnings(
            schedules: schedules.items, lastSuccess: try await dashboard.domain.backups.lastSuccessPerServer(),
            serverNames: names)
        for warning in stale {
            attention.append(["text": "\(warning.serverName): \(warning.message)", "href": "/backups?serverId=\(warning.serverId.lowercasedString)"])
        }
        let failedBackups = try await dashboard.domain.backups.list(Page(limit: 1), status: .failed).total
        let offline = servers.items.filter { $0.online == false }.count
        return PageView(
            template: "overview", title: "Overview", section: "overview",
            data: [
                "queues": queues, "attention": attention, "allClear": attention.isEmpty,
                "serverCount": servers.total, "offlineCount": offline, "scheduleCount": schedules.total, "failedBackups": failedBackups,
                "bucketMinutes": bucketMinutes,
            ])
    }

    /// SVG bars (viewBox 240×48): completed below, failed stacked on top, scaled to the busiest bucket.
    static func bars(completed: [Int], failed: [Int]) -> [[String: Any]] {
        let peak = max(1, zip(completed, failed).map { $0 + $1 }.max() ?? 1)
        let height = 44.0
        return zip(completed, failed).enumerated().map { index, pair in
            let okHeight = Double(pair.0) / Double(peak) * height
            let badHeight = Double(pair.1) / Double(peak) * height
            let minutesAgo = (buckets - index) * bucketMinutes
            return [
                "x": index * 20 + 2, "okY": String(format: "%.1f", 46 - okHeight), "okHeight": String(format: "%.1f", okHeight),
                "badY": String(format: "%.1f", 46 - okHeight - badHeight), "badHeight": String(format: "%.1f", badHeight),
                "label": "\(minutesAgo)–\(minutesAgo - bucketMinutes) min ago: \(pair.0) completed, \(pair.1) failed",
            ]
        }
    }
}

import Foundation
import JobQueue
import Records

extension MetricsController {
    /// Per server: when its last backup completed and how large it was, and, for servers with an
    /// enabled schedule, the longest gap the schedule leaves between runs and since when it is
    /// enabled, so an alert can tell "overdue" from "not due yet"; and each server's last restore
    /// drill: when it finished and whether it passed.
    static func renderBackups(_ backups: BackupRepository?, schedules: BackupScheduleRepository?, into text: inout String) async {
        if let backups, let latest = try? await backups.latestCompletedPerServer() {
            family(&text, "medicineman_backup_last_success_timestamp_seconds", "gauge", "When the last backup of a server completed.")
            for item in latest { text += "medicineman_backup_last_success_timestamp_seconds{server=\"\(PrometheusText.escape(item.server))\"} \(Int(item.completedAt.timeIntervalSince1970))\n" }
            family(&text, "medicineman_backup_last_size_bytes", "gauge", "Size of the last completed backup of a server.")
            for item in latest { text += "medicineman_backup_last_size_bytes{server=\"\(PrometheusText.escape(item.server))\"} \(item.size)\n" }
        }
        if let drills = try? await backups?.drills.latestFinishedPerServer() {
            family(&text, "medicineman_backup_last_restore_drill_timestamp_seconds", "gauge", "When the last restore drill of a server's backups finished.")
            for item in drills {
                text += "medicineman_backup_last_restore_drill_timestamp_seconds{server=\"\(PrometheusText.escape(item.server))\"} \(Int(item.finishedAt.timeIntervalSince1970))\n"
            }
            family(&text, "medicineman_backup_last_restore_drill_passed", "gauge", "1 when the last restore drill of a server's backups passed, 0 when it failed.")
            for item in drills { text += "medicineman_backup_last_restore_drill_passed{server=\"\(PrometheusText.escape(item.server))\"} \(item.passed ? 1 : 0)\n" }
        }
        guard let schedules, let enabled = try? await schedules.enabledWithServerNames() else { return }
        var period: [String: Double] = [:]
        var since: [String: Double] = [:]
        let now = Date()
        for (server, schedule) in enabled {
            guard let timing = try? ScheduleTiming(cron: schedule.cron, timezone: schedule.timezone) else { continue }
            let gap = timing.period(after: now)
            period[server] = min(period[server] ?? .infinity, gap)
            since[server] = min(since[server] ?? .infinity, schedule.createdAt.timeIntervalSince1970)
        }
        family(
            &text, "medicineman_backup_schedule_period_seconds", "gauge",
            "Longest gap between two runs of the server's most frequent enabled backup schedule.")
        for server in period.keys.sorted() { text += "medicineman_backup_schedule_period_seconds{server=\"\(PrometheusText.escape(server))\"} \(Int(period[server] ?? 0))\n" }
        family(&text, "medicineman_backup_schedule_since_timestamp_seconds", "gauge", "When the server's oldest enabled backup schedule was created.")
        for server in since.keys.sorted() { text += "medicineman_backup_schedule_since_timestamp_seconds{server=\"\(PrometheusText.escape(server))\"} \(Int(since[server] ?? 0))\n" }
    }
}

import Foundation
import JobQueue
import Records

/// Servers whose last successful backup is older than their schedule's period (the shortest
/// gap between two runs of their enabled schedules), or that never had one although a period
/// has passed since the schedule was made.
struct BackupFreshness {
    struct Warning {
        let serverId: UUID
        let serverName: String
        let message: String
    }

    static func warnings(schedules: [BackupSchedule], lastSuccess: [UUID: Date], serverNames: [UUID: String], now: Date = Date()) -> [Warning] {
        var periods: [UUID: (period: TimeInterval, since: Date)] = [:]
        for schedule in schedules where schedule.enabled {
            guard let timing = try? ScheduleTiming(cron: schedule.cron, timezone: schedule.timezone) else { continue }
            let runs = timing.nextRuns(after: now, count: 2)
            guard runs.count == 2 else { continue }
            let period = runs[1].timeIntervalSince(runs[0])
            let current = periods[schedule.serverId]
            if current == nil || period < current?.period ?? .infinity {
                periods[schedule.serverId] = (period, min(schedule.createdAt, current?.since ?? schedule.createdAt))
            }
        }
        return periods.compactMap { serverId, entry -> Warning? in
            let name = serverNames[serverId] ?? serverId.lowercasedString
            let every = Format.duration(entry.period)
            if let last = lastSuccess[serverId] {
                guard now.timeIntervalSince(last) > entry.period else { return nil }
                return Warning(
                    serverId: serverId, serverName: name,
                    message: "last successful backup \(Format.age(last, now: now)); its schedule runs every \(every)")
            }
            guard now.timeIntervalSince(entry.since) > entry.period else { return nil }
            return Warning(serverId: serverId, serverName: name, message: "no successful backup yet; its schedule runs every \(every)")
        }.sorted { $0.serverName < $1.serverName }
    }
}

public import Foundation

extension ScheduleTiming {
    /// The schedule's period: the longest interval between its next `runs` run times after `date`
    /// (a weekday schedule's weekend), one day when it has fewer than two. Metrics and overdue
    /// notifications both use it.
    public func period(after date: Date, runs: Int = 8) -> TimeInterval {
        let next = nextRuns(after: date, count: runs)
        return zip(next, next.dropFirst()).map { $1.timeIntervalSince($0) }.max() ?? 86_400
    }

    /// How long after its last success (or its creation) a schedule counts as overdue: its period
    /// plus a quarter of it plus 30 minutes, as the shipped Prometheus alert says.
    public static func overdueAfter(period: TimeInterval) -> TimeInterval {
        period * 1.25 + 1800
    }
}

import ErrorCodes
import Foundation

/// The arithmetic of job schedulers, shared by `Queue.upsertJobScheduler` and the worker that
/// advances a scheduler when it fetches an iteration.
enum JobScheduling {
    /// The first run of a new or replaced cron scheduler (`every` slots are aligned by the
    /// upsert script, which knows the stored schedule).
    static func firstPatternRun(_ schedule: RepeatOptions, now: Int) throws(JobQueueError) -> Int? {
        try nextPatternRun(schedule, after: max(now, schedule.startDate ?? now) - 1)
    }

    /// The cron run after `milliseconds` (never before the start date); nil when the pattern has
    /// none. Like BullMQ, a worker asks for the run after max(previous run, now), so runs missed
    /// while no worker ran collapse into the next one due.
    static func nextPatternRun(_ schedule: RepeatOptions, after milliseconds: Int) throws(JobQueueError) -> Int? {
        guard let pattern = schedule.pattern else { return nil }
        let cron: CronExpression
        do { cron = try CronExpression(pattern) } catch { throw JobQueueError(.invalidOptions, error.description) }
        let zone = try timeZone(schedule.timeZone)
        // Times come from Redis (any producer's): a negative start counts as none, and a run past
        // year 9999 as no run at all.
        let floor = max(milliseconds, max(schedule.startDate ?? 0, 0) - 1)
        guard floor < Self.latestRun else { return nil }
        let after = Date(timeIntervalSince1970: Double(floor) / 1000)
        return cron.next(after: after, in: zone).flatMap { Int(exactly: ($0.timeIntervalSince1970 * 1000).rounded()) }.flatMap { $0 < Self.latestRun ? $0 : nil }
    }

    /// 10000-01-01T00:00:00Z in milliseconds: no schedule runs at or after it.
    static let latestRun = 253_402_300_800_000

    static func timeZone(_ identifier: String?) throws(JobQueueError) -> TimeZone {
        guard let identifier else { return TimeZone(identifier: "UTC") ?? .current }
        guard let zone = TimeZone(identifier: identifier) else {
            throw JobQueueError(.invalidOptions, "unknown time zone '\(identifier)' (use an IANA name such as Europe/Berlin)")
        }
        return zone
    }

    static func validate(_ schedule: RepeatOptions) throws(JobQueueError) {
        switch (schedule.every, schedule.pattern) {
        case (nil, nil): throw JobQueueError(.invalidOptions, "a job scheduler needs `every` or `pattern`")
        case (.some, .some): throw JobQueueError(.invalidOptions, "a job scheduler takes `every` or `pattern`, not both")
        case (.some(let every), nil) where every <= 0: throw JobQueueError(.invalidOptions, "`every` must be positive milliseconds")
        default: break
        }
        if let offset = schedule.offset, offset < 0 { throw JobQueueError(.invalidOptions, "`offset` must not be negative") }
        if let pattern = schedule.pattern {
            do { _ = try CronExpression(pattern) } catch { throw JobQueueError(.invalidOptions, error.description) }
        }
        _ = try timeZone(schedule.timeZone)
    }

    /// The `opts` of an iteration job, as BullMQ writes them.
    static func iterationOptions(schedulerId: String, schedule: RepeatOptions, template: JobOptions, next: Int, iteration: Int, now: Int) -> JobOptions {
        var options = template
        options.jobId = "repeat:\(schedulerId):\(next)"
        options.delay = max(0, next - now)
        options.timestamp = now
        var repeatJSON: [String: JSONValue] = ["count": .int(Int64(iteration))]
        if let every = schedule.every { repeatJSON["every"] = .int(Int64(every)) }
        if let pattern = schedule.pattern { repeatJSON["pattern"] = .string(pattern) }
        if let zone = schedule.timeZone { repeatJSON["tz"] = .string(zone) }
        if let limit = schedule.limit { repeatJSON["limit"] = .int(Int64(limit)) }
        if let start = schedule.startDate { repeatJSON["startDate"] = .int(Int64(start)) }
        if let end = schedule.endDate { repeatJSON["endDate"] = .int(Int64(end)) }
        if let offset = schedule.offset { repeatJSON["offset"] = .int(Int64(offset)) }
        options.extra["repeat"] = .object(repeatJSON)
        options.extra["repeatJobKey"] = .string(schedulerId)
        options.extra["prevMillis"] = .int(Int64(next))
        return options
    }

    /// The record fields besides name, data, opts, offset and ic.
    static func recordFields(_ schedule: RepeatOptions) -> [(String, String)] {
        var fields: [(String, String)] = []
        if let every = schedule.every { fields.append(("every", String(every))) }
        if let pattern = schedule.pattern { fields.append(("pattern", pattern)) }
        if let zone = schedule.timeZone { fields.append(("tz", zone)) }
        if let limit = schedule.limit { fields.append(("limit", String(limit))) }
        if let start = schedule.startDate { fields.append(("startDate", String(start))) }
        if let end = schedule.endDate { fields.append(("endDate", String(end))) }
        return fields
    }
}

public import Foundation

/// A schedule's cron expression in its IANA time zone: validation, upcoming runs and catch-up.
public struct ScheduleTiming: Sendable {
    public let cron: CronExpression
    public let timeZone: TimeZone
    /// The expression as stored: its fields joined by single spaces.
    public let expression: String

    /// `@hourly`, `@daily`, `@weekly`, `@monthly` (and `@yearly`, `@midnight`) or five fields.
    public static let macros: Set<String> = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]

    public init(cron text: String, timezone: String) throws(ScheduleFieldError) {
        // Split exactly as the parser does (any whitespace), so no field count passes here that
        // the parser reads differently.
        let fields = text.split(whereSeparator: \.isWhitespace)
        let trimmed = fields.joined(separator: " ")
        guard Self.macros.contains(trimmed.lowercased()) || fields.count == 5 else {
            throw ScheduleFieldError(field: "cron", "cron must have five fields (minute hour day-of-month month day-of-week) or be @hourly, @daily, @weekly or @monthly")
        }
        do {
            cron = try CronExpression(trimmed)
            expression = trimmed
        } catch {
            throw ScheduleFieldError(field: "cron", "cron is not valid: \(error.description)")
        }
        guard timezone.range(of: #"^[A-Za-z0-9_+/-]{1,64}$"#, options: .regularExpression) != nil, let zone = TimeZone(identifier: timezone) else {
            throw ScheduleFieldError(field: "timezone", "timezone must be an IANA time zone such as Europe/Berlin or UTC")
        }
        timeZone = zone
        guard cron.next(after: Date(), in: zone) != nil else {
            throw ScheduleFieldError(field: "cron", "cron never matches a date (for example 30 February)")
        }
    }

    /// The next `count` run times strictly after `date`.
    public func nextRuns(after date: Date, count: Int = 3) -> [Date] {
        var runs: [Date] = []
        var cursor = date
        while runs.count < count, let next = cron.next(after: cursor, in: timeZone) {
            runs.append(next)
            cursor = next
        }
        return runs
    }

    /// After downtime: of the occurrences from `due` up to `now`, only the latest runs; the
    /// others are skipped (`lastSkipped` is the latest of those).
    public func catchUp(from due: Date, now: Date, limit: Int = 1_000_000) -> (occurrence: Date, skipped: Int, lastSkipped: Date?) {
        var latest = due
        var skipped = 0
        var lastSkipped: Date?
        while skipped < limit, let next = cron.next(after: latest, in: timeZone), next <= now {
            lastSkipped = latest
            latest = next
            skipped += 1
        }
        return (latest, skipped, lastSkipped)
    }
}

/// A schedule field that is not valid, named so the API can answer 400 with it.
public struct ScheduleFieldError: Error, Sendable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}

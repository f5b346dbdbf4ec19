public import Foundation

/// A cron pattern: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds
/// first, as BullMQ's clients read them; plus `@yearly`, `@monthly`, `@weekly`, `@daily`,
/// `@hourly`. Names (`JAN`, `MON`), ranges, lists and steps are accepted; 0 and 7 are Sunday.
/// When both day fields are restricted, a day matching either runs (classic cron).
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let seconds: [Int]
    let minutes: [Int]
    let hours: [Int]
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(_ pattern: String) throws(ParseError) {
        let trimmed = pattern.trimmingCharacters(in: .whitespacesAndNewlines)
        let macros = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        let expanded = macros[trimmed.lowercased()] ?? trimmed
        var fields = expanded.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 || fields.count == 6 else {
            throw ParseError(description: "cron pattern '\(pattern)' needs 5 fields (minute hour day month weekday) or 6 with seconds first")
        }
        if fields.count == 5 { fields.insert("0", at: 0) }
        description = trimmed
        seconds = try Self.parse(fields[0], name: "second", range: 0...59).sorted()
        minutes = try Self.parse(fields[1], name: "minute", range: 0...59).sorted()
        hours = try Self.parse(fields[2], name: "hour", range: 0...23).sorted()
        daysOfMonth = try Self.parse(fields[3], name: "day of month", range: 1...31)
        months = try Self.parse(fields[4], name: "month", range: 1...12, names: Self.monthNames)
        daysOfWeek = Set(try Self.parse(fields[5], name: "day of week", range: 0...7, names: Self.dayNames).map { $0 % 7 })
        dayOfMonthRestricted = !(fields[3] == "*" || fields[3] == "?")
        dayOfWeekRestricted = !(fields[5] == "*" || fields[5] == "?")
    }

    private static let monthNames = ["JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12]
    private static let dayNames = ["SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6]

    private static func parse(_ field: String, name: String, range: ClosedRange<Int>, names: [String: Int] = [:]) throws(ParseError) -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let body = pieces.first, !body.isEmpty else {
                throw ParseError(description: "cron \(name) field '\(field)' is malformed")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw ParseError(description: "cron \(name) step in '\(field)' must be a positive number") }
                step = parsed
            }
            var lower = range.lowerBound
            var upper = range.upperBound
            if body != "*" && body != "?" {
                let bounds = body.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw ParseError(description: "cron \(name) range '\(body)' is malformed") }
                lower = try value(bounds[0], name: name, range: range, names: names)
                upper = bounds.count == 2 ? try value(bounds[1], name: name, range: range, names: names) : (pieces.count == 2 ? range.upperBound : lower)
                guard lower <= upper else { throw ParseError(description: "cron \(name) range '\(body)' runs backwards") }
            }
            values.formUnion(stride(from: lower, through: upper, by: step))
        }
        return values
    }

    private static func value(_ text: Substring, name: String, range: ClosedRange<Int>, names: [String: Int]) throws(ParseError) -> Int {
        if let number = Int(text), range.contains(number) { return number }
        if let named = names[text.uppercased()] { return named }
        throw ParseError(description: "cron \(name) value '\(text)' is outside \(range.lowerBound)-\(range.upperBound)")
    }

    private func matchesDay(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let dayOfMonthMatches = daysOfMonth.contains(day)
        let dayOfWeekMatches = daysOfWeek.contains(weekday)
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return dayOfMonthMatches || dayOfWeekMatches
        case (true, false): return dayOfMonthMatches
        case (false, true): return dayOfWeekMatches
        case (false, false): return true
        }
    }

    /// The first run strictly after `date`, in `timeZone`; nil when none comes within 8 years.
    ///
    /// A wall-clock time that does not exist (skipped by a daylight-saving change) runs once,
    /// shifted by the gap (02:30 becomes 03:30 when clocks jump from 02:00 to 03:00); a time that
    /// happens twice (clock set back) runs once, the first time.
    public func next(after date: Date, in timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard var day = calendar.date(from: DateComponents(year: start.year, month: start.month, day: start.day, hour: 12)) else { return nil }
        for dayIndex in 0..<(366 * 8) {
            if dayIndex > 0 {
                guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
                day = following
            }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            guard let year = parts.year, let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday,
                matchesDay(day: dayOfMonth, month: month, weekday: weekday - 1)
            else { continue }
            if let found = firstRun(on: (year, month, dayOfMonth), after: date, startOfSearch: dayIndex == 0 ? start : nil, calendar: calendar) {
                return found
            }
        }
        return nil
    }

    private func firstRun(on day: (Int, Int, Int), after date: Date, startOfSearch: DateComponents?, calendar: Calendar) -> Date? {
        var shifted: Date?  // a skipped wall-clock time, mapped past the gap
        for hour in hours {
            if let start = startOfSearch, hour < (start.hour ?? 0) { continue }
            for minute in minutes {
                if let start = startOfSearch, hour == start.hour, minute < (start.minute ?? 0) { continue }
                for second in seconds {
                    let wanted = DateComponents(year: day.0, month: day.1, day: day.2, hour: hour, minute: minute, second: second)
                    guard let candidate = calendar.date(from: wanted), candidate > date else { continue }
                    let actual = calendar.dateComponents([.hour, .minute, .second], from: candidate)
                    if actual.hour == hour && actual.minute == minute && actual.second == second {
                        return shifted.map { min($0, candidate) } ?? candidate
                    }
                    if shifted == nil { shifted = candidate }
                }
            }
        }
        return shifted
    }
}

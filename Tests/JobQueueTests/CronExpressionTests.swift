import Foundation
@testable import JobQueue
import Testing

@Suite struct CronExpressionTests {
    private func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text) ?? Date(timeIntervalSince1970: 0)
    }

    private func iso(_ date: Date?) -> String {
        guard let date else { return "none" }
        return ISO8601DateFormatter().string(from: date)
    }

    @Test func fiveAndSixFieldPatterns() throws {
        let every15 = try CronExpression("*/15 * * * *")
        #expect(iso(every15.next(after: utc("2026-01-01T10:07:00Z"))) == "2026-01-01T10:15:00Z")
        #expect(iso(every15.next(after: utc("2026-01-01T10:15:00Z"))) == "2026-01-01T10:30:00Z")
        let seconds = try CronExpression("*/10 * * * * *")
        #expect(iso(seconds.next(after: utc("2026-01-01T10:07:05Z"))) == "2026-01-01T10:07:10Z")
        let weekdays = try CronExpression("30 2 * * MON-FRI")
        #expect(iso(weekdays.next(after: utc("2026-11-20T03:00:00Z"))) == "2026-11-23T02:30:00Z")  // Fri -> Mon
        let monthly = try CronExpression("@monthly")
        #expect(iso(monthly.next(after: utc("2026-02-14T00:00:00Z"))) == "2026-03-01T00:00:00Z")
        let leap = try CronExpression("0 0 29 2 *")
        #expect(iso(leap.next(after: utc("2026-03-01T00:00:00Z"))) == "2028-02-29T00:00:00Z")
        let either = try CronExpression("0 0 13 * FRI")  // the 13th or any Friday
        #expect(iso(either.next(after: utc("2026-11-10T00:00:00Z"))) == "2026-11-13T00:00:00Z")
        #expect(iso(either.next(after: utc("2026-11-13T00:00:00Z"))) == "2026-11-20T00:00:00Z")
    }

    @Test(arguments: ["", "* * *", "61 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "5-1 * * * *", "*/0 * * * *", "* * * * FOO"])
    func malformedPatternsAreRefused(pattern: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(pattern) }
    }

    @Test func timeZonesAndDaylightSaving() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let nightly = try CronExpression("30 2 * * *")
        // Winter: 02:30 CET is 01:30 UTC.
        #expect(iso(nightly.next(after: utc("2026-01-10T00:00:00Z"), in: berlin)) == "2026-01-10T01:30:00Z")
        // 29 March 2026: clocks jump 02:00 -> 03:00; the skipped 02:30 runs once, after the jump.
        let spring = nightly.next(after: utc("2026-03-28T12:00:00Z"), in: berlin)
        #expect(iso(spring).hasPrefix("2026-03-29T01:"))
        #expect(iso(nightly.next(after: try #require(spring), in: berlin)) == "2026-03-30T00:30:00Z")
        // 25 October 2026: 02:00-03:00 happens twice; 02:30 runs once, the first time.
        let autumn = try #require(nightly.next(after: utc("2026-10-24T12:00:00Z"), in: berlin))
        #expect(iso(autumn) == "2026-10-25T00:30:00Z")
        #expect(iso(nightly.next(after: autumn, in: berlin)) == "2026-10-26T01:30:00Z")
    }
}

import Foundation
@testable import JobQueue
import RedisClient
import Synchronization
import TestSupport
import Testing

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let now: Mutex<Int>
    init(_ start: Int) { now = Mutex(start) }
    func advance(by milliseconds: Int) { now.withLock { $0 += milliseconds } }
    var jobClock: JobClock { JobClock { self.now.withLock { $0 } } }
}

/// Issue 13, item 6: upserting an `every` scheduler again with the same settings adds no run and
/// keeps `ic`, slots follow the stored `offset`, and a replaced iteration emits no `removed`.
@Suite struct ParitySchedulerTests {
    private func schedulerFields(_ fixture: QueueFixture, _ id: String) async throws -> [String: String] {
        Job.fieldMap(try await fixture.redis.command(["HGETALL", fixture.key("repeat:" + id)]).array?.compactMap(\.string) ?? [])
    }

    @Test(arguments: [false, true])
    func reUpsertingTheSameEverySchedulerAddsNoRun(startsLater: Bool) async throws {
        let fixture = try QueueFixture()
        let start = startsLater ? JobClock.system.nowMilliseconds() + 600_000 : nil
        let schedule = RepeatOptions(every: 60_000, startDate: start)
        let first = try #require(try await fixture.queue.upsertJobScheduler("heartbeat", repeat: schedule, name: "ping", data: ["v": 1]))
        for version in 2...3 {  // as every app start does
            let again = try await fixture.queue.upsertJobScheduler("heartbeat", repeat: schedule, name: "ping", data: ["v": .int(Int64(version))])
            #expect(again == first)
        }
        let counts = try await fixture.queue.getJobCounts([.waiting, .delayed])
        #expect((counts[.waiting] ?? 0) + (counts[.delayed] ?? 0) == 1)
        #expect(try await schedulerFields(fixture, "heartbeat")["ic"] == "1")
        #expect(try await fixture.queue.getJob(first)?.data == ["v": 3])  // the new template applies
        #expect(try await !fixture.events().contains { $0.name == "removed" })
        try await fixture.close()
    }

    @Test func slotsFollowTheOffsetAndMissedRunsCollapseIntoTheNextSlot() async throws {
        let fixture = try QueueFixture()
        let clock = ManualClock(1_800_000_003_000)
        let queue = try Queue(name: fixture.queue.name, redis: fixture.redis, clock: clock.jobClock)
        // Without an offset the first run is now and the offset is its place in the slot.
        let first = try #require(try await queue.upsertJobScheduler("tick", repeat: .every(milliseconds: 10_000), name: "tick"))
        #expect(first == "repeat:tick:1800000003000")
        #expect(try await schedulerFields(fixture, "tick")["offset"] == "3000")
        // A worker fetches it 55 s late: the missed slots collapse into the next aligned one.
        clock.advance(by: 55_000)
        let job = try #require(try await queue.getJob(first))
        #expect(try await queue.advanceJobScheduler(after: job) == "repeat:tick:1800000063000")
        #expect(try await schedulerFields(fixture, "tick")["ic"] == "2")
        // A given offset places the slots.
        let aligned = try #require(try await queue.upsertJobScheduler("aligned", repeat: RepeatOptions(every: 10_000, offset: 7_000), name: "a"))
        #expect(aligned == "repeat:aligned:1800000067000")
        #expect(try await queue.getJobScheduler("aligned")?.repeatOptions.offset == 7_000)
        try await fixture.close()
    }

    @Test func reUpsertsAgreeBetweenPythonAndUs() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        // Python's scheduler, upserted again by us.
        let pythonFirst = try #require(try await python.schedule("py", repeat: ["every": 60_000], name: "py"))
        let pythonOffset = try #require(try await python.scheduler("py")["offset"]?.intValue)
        #expect(try await fixture.queue.upsertJobScheduler("py", repeat: .every(milliseconds: 60_000), name: "py") == pythonFirst)
        var record = try await python.scheduler("py")
        #expect(record["iterationCount"] == 1 && record["offset"]?.intValue == pythonOffset)
        // Ours, upserted again by Python.
        let ourFirst = try #require(try await fixture.queue.upsertJobScheduler("ours", repeat: .every(milliseconds: 60_000), name: "ours"))
        let ourOffset = try #require(try await fixture.queue.getJobScheduler("ours")?.repeatOptions.offset)
        #expect(try await python.schedule("ours", repeat: ["every": 60_000], name: "ours") == ourFirst)
        record = try await python.scheduler("ours")
        #expect(record["iterationCount"] == 1 && record["offset"]?.intValue == ourOffset)
        #expect(try await fixture.queue.getJobCounts([.waiting]) == [.waiting: 2])
        #expect(try await !fixture.events().contains { $0.name == "removed" })
        // A given offset aligns the slots alike on both sides.
        let pythonAligned = try #require(try await python.schedule("py-off", repeat: ["every": 10_000, "offset": 7_000], name: "p"))
        let ourAligned = try #require(try await fixture.queue.upsertJobScheduler("our-off", repeat: RepeatOptions(every: 10_000, offset: 7_000), name: "o"))
        for id in [pythonAligned, ourAligned] {
            #expect((Int(id.split(separator: ":").last ?? "") ?? 0) % 10_000 == 7_000, "\(id)")
        }
        #expect(try await python.scheduler("our-off")["offset"] == 7_000)
        try await fixture.close()
    }
}

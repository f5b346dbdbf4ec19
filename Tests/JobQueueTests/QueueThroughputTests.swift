import Foundation
@testable import JobQueue
import RedisClient
import Testing

@Suite struct QueueThroughputTests {
    /// Finished jobs are counted in the interval their finish time falls in; older ones not at all.
    @Test func finishedJobsAreCountedPerInterval() async throws {
        let fixture = try QueueFixture()
        let now = Int(Date().timeIntervalSince1970 * 1000)
        let minute = 60_000
        // Completed 1, 2 and 2 minutes ago, 30 minutes ago, and two hours ago (outside the hour); failed 4 minutes ago.
        for (offset, id) in [(1, "a"), (2, "b"), (2, "c"), (30, "d"), (120, "e")] {
            _ = try await fixture.redis.command(["ZADD", fixture.key("completed"), RedisArgument(now - offset * minute), RedisArgument(id)])
        }
        _ = try await fixture.redis.command(["ZADD", fixture.key("failed"), RedisArgument(now - 4 * minute), "f"])
        let finished = try await fixture.queue.finishedPerInterval(buckets: 12, interval: .seconds(300))
        #expect(finished.completed.count == 12 && finished.failed.count == 12)
        #expect(finished.completed[11] == 3, "the last five minutes")
        #expect(finished.completed[5] == 1, "25 to 30 minutes ago")
        #expect(finished.completed.reduce(0, +) == 4)
        #expect(finished.failed[11] == 1 && finished.failed.reduce(0, +) == 1)
        try await fixture.close()
    }
}

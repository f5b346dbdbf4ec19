@testable import JobQueue
import RedisClient
import Testing

@Suite struct QueueAddTests {
    @Test func autoIdsCountUpAndCustomIdsStillIncrement() async throws {
        let fixture = try QueueFixture()
        let ids = try await [fixture.queue.add("a"), fixture.queue.add("b"), fixture.queue.add("c")].map(\.id)
        #expect(ids == ["1", "2", "3"])
        let custom = try await fixture.queue.add("d", options: JobOptions(jobId: "backup-42"))
        #expect(custom == .init(id: "backup-42", outcome: .added))
        #expect(try await fixture.redis.command(["GET", fixture.key("id")]).int == 4)
        let again = try await fixture.queue.add("d", options: JobOptions(jobId: "backup-42"))
        #expect(again == .init(id: "backup-42", outcome: .duplicate))
        #expect(try await fixture.queue.getJobCounts([.waiting])[.waiting] == 4)
        #expect(try await fixture.events().contains { $0.name == "duplicated" && $0.jobId == "backup-42" })
        try await fixture.close()
    }

    @Test func hashHasBullMQFields() async throws {
        let fixture = try QueueFixture()
        let added = try await fixture.queue.add("std", data: ["a": 1, "s": "héllo"], options: JobOptions(attempts: 3, backoff: .exponential(1000)))
        let hash = try await fixture.hash(added.id)
        for field in ["name", "data", "opts", "timestamp", "delay", "priority"] { #expect(hash[field] != nil, "missing \(field)") }
        #expect(try JSONValue(jsonText: hash["data"] ?? "") == ["a": 1, "s": "héllo"])
        let opts = try JSONValue(jsonText: hash["opts"] ?? "")
        #expect(opts["attempts"] == 3)
        #expect(opts["backoff"] == ["type": "exponential", "delay": 1000])
        let job = try #require(try await fixture.queue.getJob(added.id))
        #expect(job.name == "std" && job.options.maxAttempts == 3)
        try await fixture.close()
    }

    @Test func invalidOptionsAreRefusedWithReasons() async throws {
        let fixture = try QueueFixture()
        for options in [JobOptions(jobId: "123"), JobOptions(jobId: "a:b"), JobOptions(priority: 3_000_000), JobOptions(priority: 2_097_152), JobOptions(delay: -1)] {
            await #expect(throws: JobQueueError.self) { try await fixture.queue.add("x", options: options) }
        }
        // BullMQ's PRIORITY_LIMIT (2^21 - 1): above it `priority * 2^32 + counter` passes 2^53 and the order is lost.
        #expect(try await fixture.queue.getJobState(try await fixture.queue.add("x", options: JobOptions(priority: 2_097_151)).id) == .prioritized)
        #expect(throws: JobQueueError.self) { try Queue(name: "has:colon", redis: fixture.redis) }
        try await fixture.close()
    }

    @Test func prioritizedAndDelayedScoresFollowTheLayout() async throws {
        let fixture = try QueueFixture()
        _ = try await fixture.queue.add("p5", options: JobOptions(priority: 5))
        let p1 = try await fixture.queue.add("p1", options: JobOptions(priority: 1))
        let score = try await fixture.redis.command(["ZSCORE", fixture.key("prioritized"), RedisArgument(p1.id)]).string
        #expect(score == "4294967298")  // 1 * 2^32 + counter 2
        let timestamp = 1_800_000_000_000
        let delayed = try await fixture.queue.add("later", options: JobOptions(delay: 1000, timestamp: timestamp))
        let delayedScore = try await fixture.redis.command(["ZSCORE", fixture.key("delayed"), RedisArgument(delayed.id)]).string
        #expect(delayedScore == String((timestamp + 1000) * 4096))
        let marker = try await fixture.redis.command(["ZSCORE", fixture.key("marker"), "1"]).string
        #expect(marker == String(timestamp + 1000))
        let events = try await fixture.events()
        #expect(events.contains { $0.name == "delayed" && $0.fields["delay"] == String(timestamp + 1000) })
        let counts = try await fixture.queue.getJobCounts()
        #expect(counts[.prioritized] == 2 && counts[.delayed] == 1 && counts[.waiting] == 0)
        #expect(try await fixture.queue.getJobState(delayed.id) == .delayed)
        try await fixture.close()
    }

    @Test func addBulkIsOneTransaction() async throws {
        let fixture = try QueueFixture()
        let jobs = (0..<500).map { (name: "bulk", data: JSONValue.object(["i": .int(Int64($0))]), options: JobOptions()) }
        let results = try await fixture.queue.addBulk(jobs)
        #expect(results.count == 500)
        #expect(Set(results.map(\.id)).count == 500)
        #expect(try await fixture.queue.getJobCounts([.waiting])[.waiting] == 500)
        try await fixture.redis.command(["SCRIPT", "FLUSH"])  // the next bulk must reload its script first
        #expect(try await fixture.queue.addBulk(Array(jobs.prefix(3))).count == 3)
        try await fixture.close()
    }

    @Test func deduplicationKeepsOneJobPerId() async throws {
        let fixture = try QueueFixture()
        let first = try await fixture.queue.add("d", options: JobOptions(deduplication: .init(id: "server-7")))
        let second = try await fixture.queue.add("d", options: JobOptions(deduplication: .init(id: "server-7")))
        #expect(second == .init(id: first.id, outcome: .deduplicated))
        #expect(try await fixture.queue.getJobCounts([.waiting])[.waiting] == 1)
        #expect(try await fixture.events().contains { $0.name == "deduplicated" && $0.fields["deduplicationId"] == "server-7" })
        // Removing the owner frees the id.
        try await fixture.queue.remove(first.id)
        #expect(try await fixture.queue.add("d", options: JobOptions(deduplication: .init(id: "server-7"))).outcome == .added)
        try await fixture.close()
    }

    @Test func hashTaggedPrefixKeepsKeysTogether() async throws {
        let fixture = try QueueFixture(prefix: "{bull}")
        let added = try await fixture.queue.add("tagged")
        #expect(fixture.queue.keys.job(added.id).hasPrefix("{bull}:"))
        #expect(try await fixture.queue.getJob(added.id)?.name == "tagged")
        try await fixture.close()
    }
}

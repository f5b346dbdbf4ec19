import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

/// Issue 13, item 2 (`keepLastIfActive`) and the deduplication points of item 7 (`replace` keeps
/// the TTL unless `extend`; no event and no TTL change when there is nothing to replace).
@Suite struct ParityDeduplicationTests {
    private static let keepLast = JobOptions.Deduplication(id: "sync", keepLastIfActive: true)

    private func exists(_ fixture: QueueFixture, _ suffix: String) async throws -> Bool {
        try await fixture.redis.command(["EXISTS", fixture.key(suffix)]).int == 1
    }

    private func pttl(_ fixture: QueueFixture, _ suffix: String) async throws -> Int {
        try await fixture.redis.command(["PTTL", fixture.key(suffix)]).int ?? -2
    }

    /// Adds `first`, waits until a worker runs it, then adds `later` with the same id; returns the
    /// ids the later adds got back.
    private func addWhileActive(
        _ fixture: QueueFixture, first: String, later: [JSONValue],
        add: ([JSONValue]) async throws -> [String]
    ) async throws -> [String] {
        #expect(try await eventually(timeout: .seconds(30)) { try await fixture.queue.getJobState(first) == .active })
        return try await add(later)
    }

    /// Runs a worker that records each job's `v` and holds `first` active until `body` calls its
    /// `release`; returns the values in the order the jobs ran, once the queue is drained again.
    private func runHoldingFirst(
        _ fixture: QueueFixture, first: String, _ body: (_ release: @Sendable () -> Void) async throws -> Void
    ) async throws -> [JSONValue] {
        let seen = Recorder<JSONValue>()
        let held = Gate()
        let drained = DrainedSignal()
        try await fixture.withWorker(
            drained.options(WorkerOptions(drainDelay: .milliseconds(100))),
            processor: { context in
                seen.append(context.job.data?["v"] ?? .null)
                if context.job.id == first { try await held.wait() }
                return nil
            }
        ) { _ async throws in
            try await body { held.open() }
            #expect(try await drained.again())  // nothing else was left to run
        }
        return seen.values
    }

    @Test func theNewestPayloadAddedWhileActiveRunsOnceTheOwnerFinished() async throws {
        let fixture = try QueueFixture()
        let options = JobOptions(deduplication: Self.keepLast)
        let first = try await fixture.queue.add("sync", data: ["v": 1], options: options)
        let seen = try await runHoldingFirst(fixture, first: first.id) { release in
            let ids = try await addWhileActive(fixture, first: first.id, later: [["v": 2], ["v": 3]]) { later in
                try await later.asyncMap { try await fixture.queue.add("sync", data: $0, options: options) }.map(\.id)
            }
            #expect(ids == [first.id, first.id])
            #expect(try await exists(fixture, "dn:sync"))
            release()
            #expect(try await eventually { try await fixture.queue.getJobCounts([.completed])[.completed] == 2 })
        }
        #expect(seen == [1, 3])  // the newest payload, once; the one in between never runs
        #expect(try await !exists(fixture, "dn:sync"))
        #expect(try await !exists(fixture, "de:sync"))
        let deduplicated = try await fixture.events().filter { $0.name == "deduplicated" }
        #expect(deduplicated.count == 2 && deduplicated.allSatisfy { $0.jobId == first.id })
        try await fixture.close()
    }

    @Test func removalAndStaleRecoveryDropTheKeptPayload() async throws {
        let fixture = try QueueFixture()
        let owner = try await fixture.queue.add("sync", options: JobOptions(deduplication: Self.keepLast))
        _ = try await fixture.redis.command(["HSET", fixture.key("dn:sync"), "name", "sync", "data", "{}", "opts", "{}", "jid", "ghost"])
        try await fixture.queue.remove(owner.id)
        #expect(try await !exists(fixture, "de:sync"))
        #expect(try await !exists(fixture, "dn:sync"))
        // Stale: the key names a job lost in an outage; the kept payload must not come back.
        _ = try await fixture.redis.pipeline([
            ["SET", fixture.key("de:sync"), "lost"],
            ["HSET", fixture.key("dn:sync"), "name", "sync", "data", "{\"phantom\":true}", "opts", "{}", "jid", "ghost"],
        ])
        let fresh = try await fixture.queue.add("sync", options: JobOptions(deduplication: Self.keepLast))
        #expect(fresh.outcome == .added)
        #expect(try await fixture.redis.command(["GET", fixture.key("de:sync")]).string == fresh.id)
        #expect(try await !exists(fixture, "dn:sync"))
        try await fixture.close()
    }

    @Test func pythonsNewestPayloadRunsOnOurWorker() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let opts: JSONValue = ["deduplication": ["id": "sync", "keepLastIfActive": true]]
        let first = try #require(try await python.add([(name: "sync", data: ["v": 1], opts: opts)]).first)
        let seen = try await runHoldingFirst(fixture, first: first) { release in
            let ids = try await addWhileActive(fixture, first: first, later: [["v": 2], ["v": 3]]) { later in
                try await python.add(later.map { (name: "sync", data: $0, opts: opts) })
            }
            release()
            #expect(ids == [first, first])
            #expect(try await eventually { try await fixture.queue.getJobCounts([.completed])[.completed] == 2 })
        }
        #expect(seen == [1, 3])
        #expect(try await !exists(fixture, "dn:sync"))
        #expect(try await !exists(fixture, "de:sync"))
        try await fixture.close()
    }

    @Test func ourNewestPayloadRunsOnAPythonWorker() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let options = JobOptions(deduplication: Self.keepLast)
        let first = try await fixture.queue.add("sync", data: ["v": 1], options: options)
        async let worked = python.work("slow:2500", count: 2, seconds: 40)
        let ids = try await addWhileActive(fixture, first: first.id, later: [["v": 2], ["v": 3]]) { later in
            try await later.asyncMap { try await fixture.queue.add("sync", data: $0, options: options) }.map(\.id)
        }
        #expect(ids == [first.id, first.id])
        #expect(try await worked == 2)
        let completed = try await fixture.queue.getJobs([.completed])
        #expect(Set(completed.compactMap { $0.data?["v"] }) == [1, 3])
        #expect(try await !exists(fixture, "dn:sync"))
        try await fixture.close()
    }

    @Test(arguments: [false, true])
    func replaceKeepsTheTTLUnlessExtend(extend: Bool) async throws {
        let fixture = try QueueFixture()
        let options = JobOptions(delay: 60_000, deduplication: .init(id: "debounce", ttl: 60_000, extend: extend, replace: true))
        let first = try await fixture.queue.add("d", data: ["v": 1], options: options)
        try await Task.sleep(for: .milliseconds(1500))
        let clock = ContinuousClock()
        let secondAdded = clock.now
        let second = try await fixture.queue.add("d", data: ["v": 2], options: options)
        #expect(second.outcome == .added && second.id != first.id)
        #expect(try await fixture.queue.getJob(first.id) == nil)
        let ttl = try await pttl(fixture, "de:debounce")
        let since = Int((clock.now - secondAdded).components.seconds * 1000) + Int((clock.now - secondAdded).components.attoseconds / 1_000_000_000_000_000)
        // extend: the TTL restarted at the second add; otherwise it runs on from the first, 1.5 s earlier.
        #expect(extend ? ttl >= 60_000 - since - 50 : (ttl > 0 && ttl <= 58_550), "ttl \(ttl) ms, \(since) ms after the second add")
        try await fixture.close()
    }

    @Test func nothingToReplaceDropsTheAddQuietly() async throws {
        let fixture = try QueueFixture()
        let options = JobOptions(deduplication: .init(id: "debounce", ttl: 60_000, extend: true, replace: true))
        let owner = try await fixture.queue.add("d", options: options)  // waiting, not delayed
        try await Task.sleep(for: .milliseconds(1500))
        let again = try await fixture.queue.add("d", options: options)
        #expect(again == Queue.AddResult(id: owner.id, outcome: .deduplicated))
        #expect(try await pttl(fixture, "de:debounce") <= 58_600)
        #expect(try await !fixture.events().contains { $0.name == "deduplicated" })
        try await fixture.close()
    }

    /// Both directions of the TTL and event rules: the owner from one side, the replacing add from the other.
    @Test func replaceRulesHoldBetweenPythonAndUs() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let de: JSONValue = ["id": "py", "ttl": 60_000, "replace": true]
        let pythonOwner = try #require(try await python.add([(name: "d", data: [:], opts: ["delay": 60_000, "deduplication": de])]).first)
        let options = JobOptions(delay: 60_000, deduplication: .init(id: "py", ttl: 60_000, replace: true))
        try await Task.sleep(for: .milliseconds(1500))
        let ours = try await fixture.queue.add("d", options: options)
        #expect(ours.outcome == .added && ours.id != pythonOwner)
        #expect(try await pttl(fixture, "de:py") <= 58_600)
        // Python's add replaces ours, the window still running.
        let pythonNext = try #require(try await python.add([(name: "d", data: [:], opts: ["delay": 60_000, "deduplication": de])]).first)
        #expect(pythonNext != ours.id)
        #expect(try await fixture.queue.getJob(ours.id) == nil)
        #expect(try await pttl(fixture, "de:py") <= 58_600)
        // Nothing to replace (the owner waits, not delayed): no event, no TTL change, either side.
        let waiting = JobOptions(deduplication: .init(id: "w", ttl: 60_000, extend: true, replace: true))
        let owner = try await fixture.queue.add("w", options: waiting)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await python.add([(name: "w", data: [:], opts: ["deduplication": ["id": "w", "ttl": 60_000, "extend": true, "replace": true]])]) == [owner.id])
        let pythonWaiting = try #require(try await python.add([(name: "w2", data: [:], opts: ["deduplication": ["id": "w2", "ttl": 60_000, "replace": true]])]).first)
        #expect(try await fixture.queue.add("w2", options: JobOptions(deduplication: .init(id: "w2", ttl: 60_000, replace: true))).id == pythonWaiting)
        #expect(try await pttl(fixture, "de:w") <= 58_600)
        let events = try await fixture.events().filter { $0.name == "deduplicated" }
        #expect(!events.contains { ["w", "w2"].contains($0.fields["deduplicationId"] ?? "") })
        try await fixture.close()
    }
}

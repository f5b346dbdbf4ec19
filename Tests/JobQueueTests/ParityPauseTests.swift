import Foundation
@testable import JobQueue
import RedisClient
import TestSupport
import Testing

/// Issue 13, item 1: a legacy `paused` list (what a BullMQ v5 peer's pause leaves) goes back to
/// the head of wait on resume, every job of it, as BullMQ v6 does.
@Suite struct ParityPauseTests {
    /// Parks `ids` the way a v5 peer's paused queue holds them: LPUSHed, so the first id is the
    /// list's head (its right end).
    private func parkInLegacyList(_ fixture: QueueFixture, _ ids: [String]) async throws {
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<min(start + 1000, ids.count)]
            _ = try await fixture.redis.command(["LPUSH", fixture.key("paused")] + chunk.map { RedisArgument($0) })
            start += chunk.count
        }
    }

    /// A v5 peer's pause: its jobs move from wait to the legacy list (RENAME) and meta.paused is set.
    private func pauseLikeAV5Peer(_ fixture: QueueFixture) async throws {
        _ = try await fixture.redis.pipeline([
            ["RENAME", fixture.key("wait"), fixture.key("paused")], ["HSET", fixture.key("meta"), "paused", "1"],
        ])
    }

    private func waitList(_ fixture: QueueFixture) async throws -> [String] {
        try await fixture.redis.command(["LRANGE", fixture.key("wait"), 0, -1]).array?.compactMap(\.string) ?? []
    }

    @Test func resumeMovesEveryLegacyJobToTheHeadOfWaitInOrder() async throws {
        let fixture = try QueueFixture()
        let ours = try await fixture.queue.add("ours").id
        try await fixture.queue.pause()
        let legacy = (0..<7010).map { "legacy-\($0)" }  // more than one script call moves
        try await parkInLegacyList(fixture, legacy)
        try await fixture.queue.resume()
        // The head (right end) runs first: the legacy jobs in their order, then ours.
        #expect(try await waitList(fixture) == [ours] + legacy.reversed())
        #expect(try await fixture.redis.command(["EXISTS", fixture.key("paused")]).int == 0)
        #expect(try await !fixture.queue.isPaused())
        #expect(try await fixture.events().filter { $0.name == "resumed" }.count == 1)
        try await fixture.close()
    }

    @Test func aLegacyListAloneBecomesTheWaitList() async throws {
        let fixture = try QueueFixture()
        try await fixture.queue.add("a")
        try await fixture.queue.add("b")
        try await pauseLikeAV5Peer(fixture)
        try await fixture.queue.resume()
        #expect(try await waitList(fixture) == ["2", "1"])
        #expect(try await fixture.redis.command(["ZSCORE", fixture.key("marker"), "0"]).string == "0")
        try await fixture.close()
    }

    /// Python (v6) produces and consumes; a v5 peer parks the jobs; we resume.
    @Test func weResumeWhatAV5PeerParkedAndAPythonWorkerRunsItFirst() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        let parked = try await python.add([(name: "p1", data: [:], opts: [:]), (name: "p2", data: [:], opts: [:])])
        try await pauseLikeAV5Peer(fixture)
        let late = try await fixture.queue.add("late").id  // v6 layout: lands in wait, not in the legacy list
        try await fixture.queue.resume()
        #expect(try await waitList(fixture) == [late] + parked.reversed())
        #expect(try await python.counts()["waiting"] == 3)
        #expect(try await python.work("echo", count: 3, seconds: 20) == 3)
        let started = try await parked.asyncMap { try await fixture.queue.getJob($0)?.processedOn ?? .max }
        let lateStarted = try #require(try await fixture.queue.getJob(late)?.processedOn)
        #expect(started.allSatisfy { $0 <= lateStarted })
        try await fixture.close()
    }

    /// We produce and consume; a v5 peer parks the jobs; Python's resume (the v6 script) frees them.
    @Test func pythonResumesWhatAV5PeerParkedAndOurWorkerRunsIt() async throws {
        let fixture = try QueueFixture()
        let python = try PythonBullMQ(fixture)
        for name in ["a", "b"] { try await fixture.queue.add(name) }
        try await pauseLikeAV5Peer(fixture)
        try await fixture.queue.add("c")
        try await python.resume()
        #expect(try await fixture.queue.getJobCounts([.waiting, .paused]) == [.waiting: 3, .paused: 0])
        let ran = try await fixture.runWorker(WorkerOptions(drainDelay: .milliseconds(100)), recording: { context in context.job.name }) { recorded in recorded.values.count == 3 }
        #expect(ran.values == ["a", "b", "c"])
        try await fixture.close()
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

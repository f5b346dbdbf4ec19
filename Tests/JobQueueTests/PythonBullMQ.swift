import Foundation
@testable import JobQueue
import TestSupport

/// The Python `bullmq` client (3.4.4, in the venv scripts/test.sh makes), driven through
/// Tests/Interop/bullmq_interop.py.
struct PythonBullMQ: Sendable {
    let redisURL: String
    let prefix: String
    let queue: String

    init(_ fixture: QueueFixture) throws {
        redisURL = try TestEnvironment.require(QueueFixture.redisURLVariable)
        prefix = fixture.queue.keys.prefix
        // On a cluster our keys carry the name as a hash tag; BullMQ gets the same keys by that name.
        queue = fixture.queue.keys.keyName
    }

    private func call(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> JSONValue {
        let python = try TestEnvironment.require("MM_TEST_PYTHON")
        let script = try TestEnvironment.require("MM_TEST_ROOT") + "/Tests/Interop/bullmq_interop.py"
        let output = try await ChildProcess.run(python, [script, redisURL, prefix, queue] + arguments, timeout: timeout)
        let lastLine = output.split(separator: "\n").last.map(String.init) ?? ""
        return try JSONValue(jsonText: lastLine)
    }

    func add(_ jobs: [(name: String, data: JSONValue, opts: JSONValue)]) async throws -> [String] {
        let spec = JSONValue.array(jobs.map { ["name": .string($0.name), "data": $0.data, "opts": $0.opts] })
        let reply = try await call(["add", spec.jsonText])
        guard case .array(let ids) = reply else { return [] }
        return ids.compactMap(\.stringValue)
    }

    func jobs(_ ids: [String]) async throws -> [String: JSONValue] {
        try await call(["jobs", JSONValue.array(ids.map { .string($0) }).jsonText]).objectValue ?? [:]
    }

    func counts() async throws -> [String: Int] {
        (try await call(["counts"]).objectValue ?? [:]).compactMapValues(\.intValue)
    }

    func pause() async throws { _ = try await call(["pause"]) }

    /// upsertJobScheduler from Python; returns the pending iteration's id.
    func schedule(_ id: String, repeat schedule: JSONValue, name: String) async throws -> String? {
        try await call(["schedule", id, schedule.jsonText, name]).stringValue
    }

    func scheduler(_ id: String) async throws -> JSONValue {
        try await call(["scheduler", id])
    }
    func resume() async throws { _ = try await call(["resume"]) }

    /// Runs a Python worker until `count` jobs finished or `seconds` passed; returns how many finished.
    /// `behavior`: echo, fail, or slow:<ms>; `options` go into the Python Worker's options.
    func work(_ behavior: String, count: Int, seconds: Int, options: JSONValue = [:]) async throws -> Int {
        try await call(["work", behavior, String(count), String(seconds), options.jsonText], timeout: .seconds(seconds + 30))["finished"]?.intValue ?? 0
    }

    /// A hash of the queue (`meta`, a job id, `repeat:<id>`, …) as the Python client reads it.
    func hash(_ suffix: String) async throws -> [String: String] {
        (try await call(["hash", suffix]).objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    func drain(includeDelayed: Bool) async throws { _ = try await call(["drain", includeDelayed ? "1" : "0"]) }

    /// Queue.remove from Python; returns the removeJob script's code (1, 0, -8).
    func remove(_ id: String, removeChildren: Bool = true) async throws -> Int? {
        try await call(["remove", id, removeChildren ? "1" : "0"]).intValue
    }

    func retry(_ id: String, state: String = "failed") async throws { _ = try await call(["retry", id, state]) }

    func changePriority(_ id: String, priority: Int, lifo: Bool = false) async throws {
        _ = try await call(["change-priority", id, String(priority), lifo ? "1" : "0"])
    }

    func setGlobalRateLimit(max: Int, duration: Int) async throws { _ = try await call(["global-rate-limit", String(max), String(duration)]) }

    /// FlowProducer.add from Python; returns the tree of ids ({id, children}).
    func flow(_ spec: JSONValue) async throws -> JSONValue { try await call(["flow", spec.jsonText]) }

    /// The changeDelay script the installed bullmq package ships (the client has no API for it).
    func changeDelay(_ id: String, delay: Int) async throws -> Int? { try await call(["change-delay", id, String(delay)]).intValue }

    /// The package's getMetrics script: {count, prevTS, prevCount, data, points}.
    func metrics(_ type: String) async throws -> JSONValue { try await call(["metrics", type]) }

    /// The package's moveToActive script with a worker name (its Worker never sends one): takes
    /// the next job under `token`; returns its id.
    func activate(token: String, workerName: String, lockMilliseconds: Int = 30_000) async throws -> String? {
        try await call(["activate", token, workerName, String(lockMilliseconds)]).stringValue
    }
}

import BlockingIO
import Foundation
@testable import JobQueue
import Logging
import RedisClient
import TestSupport
import Testing

/// The queue suites log only what is critical: their workers fail jobs on purpose.
func queueLogger() -> Logger { testLogger("test.queue", level: .critical) }

/// Counts a worker's `drained` events, so a test waits until the worker has found nothing to run
/// (and waits on its queue's marker) instead of sleeping for it.
final class DrainedSignal: Sendable {
    private let count = Mutex(0)

    /// `base` with an event handler that also counts `drained`.
    func options(_ base: WorkerOptions = WorkerOptions()) -> WorkerOptions {
        var options = base
        let previous = base.onEvent
        options.onEvent = { [self] event in
            previous?(event)
            if case .drained = event { count.withLock { $0 += 1 } }
        }
        return options
    }

    /// Whether the worker found nothing to run at least once within `timeout` (an upper bound for
    /// a loaded machine; it returns as soon as the worker has looked).
    func happened(within timeout: Duration = .seconds(30)) async throws -> Bool {
        try await eventually(timeout: timeout) { count.withLock { $0 } > 0 }
    }

    /// Whether the worker finds nothing to run again, after this call: everything it was going to
    /// run before now has been fetched.
    func again(within timeout: Duration = .seconds(30)) async throws -> Bool {
        let seen = count.withLock { $0 }
        return try await eventually(timeout: timeout) { count.withLock { $0 } > seen }
    }
}

/// A Redis pool for the test Redis, plus a queue of its own name.
struct QueueFixture: Sendable {
    let redis: RedisConnectionPool
    let queue: Queue

    init(prefix: String = "bull") throws {
        redis = RedisConnectionPool(
            configuration: try RedisConfiguration(url: TestEnvironment.require(Self.redisURLVariable)),
            options: .init(maxConnections: 24), logger: queueLogger())
        queue = try Queue(name: TestEnvironment.uniqueName("q"), prefix: prefix, redis: redis)
    }

    /// `MM_TEST_QUEUE_REDIS=cluster` runs the queue suites (and the Python interop) against the
    /// test Redis Cluster instead of the single Redis.
    static var redisURLVariable: String {
        ProcessInfo.processInfo.environment["MM_TEST_QUEUE_REDIS"] == "cluster" ? "MM_TEST_REDIS_CLUSTER_URL" : "MM_TEST_REDIS_URL"
    }

    func key(_ suffix: String) -> RedisArgument { RedisArgument(queue.keys.key(suffix)) }

    func hash(_ id: String) async throws -> [String: String] {
        let flat = try await redis.command(["HGETALL", RedisArgument(queue.keys.job(id))]).array?.compactMap(\.string) ?? []
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) { fields[flat[index]] = flat[index + 1] }
        return fields
    }

    func events() async throws -> [QueueEvent] {
        try await QueueEvents(queue: queue).read(after: "0-0", count: 100_000)
    }

    /// Starts a worker; `body` runs while it works; the worker is closed and awaited afterwards.
    func withWorker<Result: Sendable>(
        _ options: WorkerOptions = WorkerOptions(),
        processor: @escaping JobProcessor,
        _ body: (Worker) async throws -> Result
    ) async throws -> Result {
        let worker = Worker(queue: queue, options: options, logger: queueLogger(), processor: processor)
        let running = Task { try await worker.runUntilClosed() }
        return try await withCleanup {
            try await body(worker)
        } cleanup: {
            worker.close()
            try await running.value
        }
    }

    /// Runs `body` while a worker (a 100 ms drain delay unless `options` say otherwise) records the
    /// id of each job it runs, and returns nothing for it; returns what it recorded.
    @discardableResult
    func withRecordingWorker(
        _ options: WorkerOptions = WorkerOptions(drainDelay: .milliseconds(100)), _ body: (Recorder<String>) async throws -> Void
    ) async throws -> Recorder<String> {
        let ran = Recorder<String>()
        try await withWorker(
            options,
            processor: { context in
                ran.append(context.job.id)
                return nil
            }
        ) { _ async throws in try await body(ran) }
        return ran
    }

    /// Runs a worker whose processor records `record(job)` for each job it runs and returns
    /// nothing, until `done` holds; the recorder keeps what it saw.
    func runWorker<Value: Sendable>(
        _ options: WorkerOptions, recording record: @escaping @Sendable (JobContext) -> Value,
        until done: (Recorder<Value>) async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Recorder<Value> {
        let recorder = Recorder<Value>()
        try await withWorker(
            options,
            processor: { context in
                recorder.append(record(context))
                return nil
            }
        ) { _ async throws in
            #expect(try await eventually { try await done(recorder) }, sourceLocation: sourceLocation)
        }
        return recorder
    }

    /// Starts a worker on the paused queue, checks that it runs nothing, then calls `resume`
    /// and checks that `held` runs.
    func expectPausedUntil(_ resume: () async throws -> Void, held: String) async throws {
        let ran = Recorder<String>()
        let drained = DrainedSignal()
        try await withWorker(
            drained.options(WorkerOptions(drainDelay: .milliseconds(100))),
            processor: { context in
                ran.append(context.job.id)
                return nil
            }
        ) { _ async throws in
            // The worker looked, found the queue paused, and waits.
            #expect(try await drained.happened())
            #expect(ran.values.isEmpty)
            #expect(try await queue.getJobState(held) == .waiting)
            try await resume()
            #expect(try await eventually { ran.values == [held] })
        }
    }

    /// Whether a worker of this queue (no `name` option) is blocked on the queue's marker.
    func workerIsBlockedOnTheMarker() async throws -> Bool {
        try await eventually { RedisClientList.isBlocked(try await clientList(), name: queue.clientName, in: "bzpopmin") }
    }

    /// CLIENT LIST of every server (each master of a cluster), one text.
    func clientList() async throws -> String {
        try await redis.commandOnEveryServer(["CLIENT", "LIST"]).compactMap(\.string).joined(separator: "\n")
    }

    func close() async throws {
        try await queue.obliterate(force: true)
        await redis.close()
    }
}

/// A thread-safe list the processors append to, to check order and counts.
final class Recorder<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])
    func append(_ element: Element) { storage.withLock { $0.append(element) } }
    var values: [Element] { storage.withLock { $0 } }
}

/// Holds processors back until the test opens it (bounded, so a failing test cannot hang).
final class Gate: Sendable {
    private let opened = Mutex(false)
    func open() { opened.withLock { $0 = true } }
    func wait(atMost limit: Duration = .seconds(30)) async throws {
        _ = try await eventually(timeout: limit) { opened.withLock { $0 } }
    }
}

import Synchronization

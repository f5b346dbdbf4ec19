import ArgumentParser
import Foundation
import JobQueue
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A worker with a trivial processor, for interoperability and crash tests driven from outside.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker with a trivial processor until SIGTERM (or --idle-exit)."
    )

    @Option(help: "Queue name.") var queue: String
    @OptionGroup var redisTarget: QueueTargetOptions
    @Option(help: "Concurrency.") var concurrency = 1
    @Option(help: "echo | fail | unrecoverable | sleep:MS | progress | record:DIR (appends each job id it starts to DIR/<pid>.ids)") var behavior = "echo"
    @Option(name: .customLong("lock-duration"), help: "Lock duration in ms.") var lockDuration = 30_000
    @Option(name: .customLong("stalled-interval"), help: "Stalled check interval in ms.") var stalledInterval = 30_000
    @Option(name: .customLong("max-stalled-count"), help: "Stalls allowed before a job fails.") var maxStalledCount = 1
    @Option(name: .customLong("idle-exit"), help: "Exit once no job has been active for this many seconds.") var idleExit: Double?

    func validate() throws {
        guard Behavior(behavior) != nil else { throw ValidationError("--behavior must be echo, fail, unrecoverable, sleep:MS, progress or record:DIR") }
    }

    func run() async throws {
        let logger = BenchRedis.logger(.info)
        let pool = try redisTarget.pool(connections: concurrency + 4)
        let target = try redisTarget.queue(queue, on: pool)
        let lastActivity = Mutex(ContinuousClock.now)
        let running = Atomic<Int>(0)
        let options = WorkerOptions(
            concurrency: concurrency, lockDuration: .milliseconds(lockDuration), stalledInterval: .milliseconds(stalledInterval),
            maxStalledCount: maxStalledCount, drainDelay: .milliseconds(500),
            onEvent: { event in
                switch event {
                case .active: running.add(1, ordering: .relaxed)
                case .completed, .failed: running.subtract(1, ordering: .relaxed)
                default: break
                }
                lastActivity.withLock { $0 = .now }
            })
        let behavior = Behavior(behavior) ?? .echo
        let worker = Worker(queue: target, options: options, logger: logger) { context in try await behavior.run(context) }
        // The worker ends when it is closed (SIGTERM or --idle-exit); that ends the whole group.
        var services = [ServiceGroupConfiguration.ServiceConfiguration(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)]
        if let idleExit {
            let watcher = IdleExit(
                limit: .milliseconds(Int(idleExit * 1000)), worker: worker, running: { running.load(ordering: .relaxed) },
                lastActivity: { lastActivity.withLock { $0 } })
            services.append(.init(service: watcher, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        print("worker ready on \(target.keys.queueKey)")
        try await group.run()
    }
}

/// The trivial processors `worker --behavior` offers.
enum Behavior: Sendable {
    case echo, fail, unrecoverable, progress
    case sleep(Int)
    /// Counts executions for the chaos runs: every start of the processor is a line in a file of
    /// this process, written before the job completes (a duplicate shows as a repeated id).
    case record(AppendOnlyFile)

    init?(_ text: String) {
        switch text {
        case "echo": self = .echo
        case "fail": self = .fail
        case "unrecoverable": self = .unrecoverable
        case "progress": self = .progress
        default:
            if text.hasPrefix("record:") {
                guard let file = AppendOnlyFile(path: "\(text.dropFirst(7))/\(getpid()).ids") else { return nil }
                self = .record(file)
                return
            }
            guard text.hasPrefix("sleep:"), let milliseconds = Int(text.dropFirst(6)), milliseconds >= 0 else { return nil }
            self = .sleep(milliseconds)
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    func run(_ context: JobContext) async throws -> JSONValue {
        switch self {
        case .echo: return context.job.data ?? .null
        case .fail: throw Failure(description: "failed on purpose (attempt \(context.job.attemptsMade + 1))")
        case .unrecoverable: throw UnrecoverableError("unrecoverable on purpose")
        case .progress:
            for pct in [25, 50, 75, 100] { try await context.updateProgress(.int(Int64(pct))) }
            return context.job.data ?? .null
        case .sleep(let milliseconds):
            try await Task.sleep(for: .milliseconds(milliseconds))
            return context.job.data ?? .null
        case .record(let file):
            file.append(context.job.id + "\n")
            return .null
        }
    }
}

/// Stops the worker once nothing has run for `limit`.
struct IdleExit: Service {
    let limit: Duration
    let worker: Worker
    let running: @Sendable () -> Int
    let lastActivity: @Sendable () -> ContinuousClock.Instant

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(100))
            if running() == 0 && ContinuousClock.now - lastActivity() >= limit {
                worker.close()
                return
            }
        }
    }
}

/// A file opened for appending; each line is one `write(2)`, so a killed process loses none.
final class AppendOnlyFile: Sendable {
    private let descriptor: Int32

    init?(path: String) {
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 { return nil }
    }

    deinit { close(descriptor) }

    func append(_ line: String) {
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}

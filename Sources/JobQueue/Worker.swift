import Foundation
public import Logging
import RedisClient
public import ServiceLifecycle
import Synchronization

/// Processes the jobs of one queue, BullMQ-compatibly: locks renewed while jobs run, a
/// fleet-wide stalled check, a bounded blocking wait on the queue's marker, backoff and
/// retention, and completion that fetches the next job in the same script.
///
/// Run it as a `Service`; graceful shutdown stops fetching, lets running jobs finish within the
/// grace period (counted from `close()`), then cancels them and hands them back to the queue.
public final class Worker: Service, Sendable {
    public let queue: Queue
    public let options: WorkerOptions
    let processor: JobProcessor
    let redis: RedisConnectionPool
    let logger: Logger
    let workerId = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    let active = ActiveJobs()
    private let state = Mutex(State())
    /// The connection that blocks on the marker; interrupted to stop at once.
    let blockingConnection: RedisConnection
    /// Failures of the fetch, marker, lock and stalled loops, logged once per interval while they repeat.
    let failures: RepeatingErrorLog

    struct State {
        var closing = false
        var tokenCounter = 0
    }

    public init(queue: Queue, options: WorkerOptions = WorkerOptions(), logger: Logger, processor: @escaping JobProcessor) {
        self.queue = queue
        self.options = options
        self.processor = processor
        self.redis = queue.redis
        self.logger = logger
        // Named like BullMQ's named workers (a name Redis refuses for a connection is left out).
        let suffix = options.name.flatMap { $0.isEmpty || $0.contains(where: \.isWhitespace) ? nil : ":w:" + $0 } ?? ""
        self.blockingConnection = queue.redis.makeDedicatedConnection(clientName: queue.clientName + suffix)
        self.failures = RepeatingErrorLog(logger: logger)
    }

    var isClosing: Bool { state.withLock { $0.closing } }

    func nextToken() -> String {
        state.withLock { state in
            state.tokenCounter += 1
            return "\(workerId):\(state.tokenCounter)"
        }
    }

    /// Stops fetching; running jobs finish (see `run`). Safe to call more than once.
    public func close() {
        state.withLock { $0.closing = true }
        blockingConnection.interrupt()
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await runUntilClosed()
        } onGracefulShutdown: {
            self.close()
        }
    }

    /// The worker's loops: fetching and processing, lock renewal, and the stalled check, until
    /// `close()` or until the calling task is cancelled (which closes the worker too: a loop that
    /// kept retrying after cancellation would spin, since every wait ends at once then); for
    /// callers that manage shutdown themselves instead of a `ServiceGroup`.
    public func runUntilClosed() async throws {
        logger.info("worker started", metadata: ["queue": "\(queue.name)", "concurrency": "\(options.concurrency)"])
        await announceLayout()
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.renewLocksUntilClosed() }
                group.addTask { await self.checkStalledUntilClosed() }
                group.addTask { await self.cancelRunningJobsAfterGrace() }
                await self.fetchAndProcess()
                group.cancelAll()
            }
        } onCancel: {
            self.close()
        }
        await blockingConnection.close()
        logger.info("worker stopped", metadata: ["queue": "\(queue.name)"])
    }

    /// Keeps up to `concurrency` jobs running; waits on the marker when the queue is empty.
    private func fetchAndProcess() async {
        await withTaskGroup(of: Void.self) { slots in
            var running = 0
            var waitHint = FetchWaitHint.none
            while !isClosing {
                if running >= options.concurrency {
                    _ = await slots.next()
                    running -= 1
                    continue
                }
                if case .idle(let until) = waitHint {
                    await waitForWork(until: until)
                    if isClosing { break }
                }
                switch await fetch(token: nextToken()) {
                case .job(let job, let token):
                    running += 1
                    waitHint = .none
                    slots.addTask { await self.processChain(job, token: token) }
                case .rateLimited(let delay):
                    await sleepUnlessClosing(delay)
                case .empty(let nextDelayed):
                    waitHint = .idle(until: nextDelayed)
                    emit(.drained)
                case .failed:
                    await sleepUnlessClosing(.seconds(1))
                }
            }
            await drainSlots(&slots, running: running)
        }
    }

    /// Lets running jobs finish (the grace timer below cancels what outlives the grace period).
    private func drainSlots(_ slots: inout TaskGroup<Void>, running: Int) async {
        guard running > 0 else { return }
        logger.info("waiting for running jobs", metadata: ["jobs": "\(running)", "grace": "\(options.shutdownGracePeriod)"])
        while await slots.next() != nil {}
    }

    /// From `close()` on, gives running jobs the grace period, then cancels them. Runs beside the
    /// fetch loop (which may be waiting for a busy slot), and ends with the worker.
    private func cancelRunningJobsAfterGrace() async {
        while !isClosing {
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
        }
        do { try await Task.sleep(for: options.shutdownGracePeriod) } catch { return }
        guard active.count > 0 else { return }
        logger.warning("grace period over; cancelling running jobs", metadata: ["jobs": "\(active.count)"])
        active.cancelAll()
    }

    func sleepUnlessClosing(_ duration: Duration) async {
        let step = Duration.milliseconds(100)
        var remaining = duration
        while remaining > .zero && !isClosing {
            try? await Task.sleep(for: min(step, remaining))
            remaining -= step
        }
    }

    func emit(_ event: WorkerEvent) {
        options.onEvent?(event)
    }
}

/// Why the fetch loop is about to wait.
enum FetchWaitHint {
    case none
    /// The last fetch found nothing; the next delayed job is due then (ms), when known.
    case idle(until: Int?)
}

import JobQueue
import Logging
import RedisClient
import Synchronization

/// Reads one queue's event stream for every live stream of the process: one blocking XREAD
/// connection (so one Redis client and one thread) per queue, however many clients listen.
final class QueueEventReader: Sendable {
    /// Longest single XREAD wait; the loop then reads again (and notices a stop at once anyway).
    static let blockTime = Duration.seconds(5)

    let queue: Queue
    /// Shown in CLIENT LIST, so an operator can tell the readers from pooled connections.
    let clientName: String
    let logger: Logger
    /// The stream's newest id when the reader started: reading resumes after it, so nothing a
    /// subscriber waits for can fall between its snapshot and the first read.
    private let startingPoint: Task<String, any Error>
    private let loop = Mutex(Loop.idle)

    private enum Loop {
        case idle
        case running(Task<Void, Never>)
        case stopped
    }

    init(queue: Queue, logger: Logger) {
        self.queue = queue
        self.clientName = "medicineman:events:" + queue.keys.base
        self.logger = logger
        let events = QueueEvents(queue: queue)
        startingPoint = Task { try await events.latestId() }
    }

    /// Waits until the reader knows where to start; throws when Redis could not say.
    func ready() async throws {
        _ = try await startingPoint.value
    }

    /// Starts reading; `deliver` gets every batch of events in stream order.
    func start(deliver: @escaping @Sendable (QueueEventReader, [QueueEvent]) -> Void) {
        let task = Task { [self] in
            guard var last = try? await startingPoint.value else { return }
            let connection = queue.redis.makeDedicatedConnection(clientName: clientName)
            let events = QueueEvents(queue: queue)
            let failures = RepeatingErrorLog(logger: logger)
            while !Task.isCancelled {
                do {
                    let batch = try await events.wait(after: last, on: connection, timeout: Self.blockTime)
                    failures.succeeded("reading the queue's event stream works again", metadata: ["queue": "\(queue.name)"])
                    guard let newest = batch.last else { continue }
                    last = newest.id
                    deliver(self, batch)
                } catch {
                    if Task.isCancelled { break }
                    failures.failed(
                        "reading the queue's event stream failed; retrying", error: error, level: .warning,
                        metadata: ["queue": "\(queue.name)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            await connection.close()
        }
        let keep = loop.withLock { loop -> Bool in
            guard case .idle = loop else { return false }
            loop = .running(task)
            return true
        }
        if !keep { task.cancel() }
    }

    /// Stops reading: the blocking XREAD is interrupted and the connection (and its thread) goes.
    func stop() {
        startingPoint.cancel()
        let running = loop.withLock { loop -> Task<Void, Never>? in
            defer { loop = .stopped }
            if case .running(let task) = loop { return task }
            return nil
        }
        running?.cancel()
    }
}

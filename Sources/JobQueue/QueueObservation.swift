/// One reading of a queue: its counts, whether it is paused, its workers and its health. The API
/// and the notification watch read queues the same way, so they agree on what "unhealthy" is.
public struct QueueObservation: Sendable {
    public var queue: String
    public var counts: [JobState: Int]
    public var isPaused: Bool
    /// Worker connections (ours and BullMQ's) serving the queue now.
    public var workers: Int
    public var health: QueueHealth

    /// Reads every queue (O(1) Redis commands each, one CLIENT LIST for all workers).
    public static func observe(_ queues: [Queue]) async throws -> [QueueObservation] {
        var result: [QueueObservation] = []
        let workerCounts = try await Queue.workerCounts(of: queues)
        for (queue, workers) in zip(queues, workerCounts) {
            let counts = try await queue.getJobCounts()
            let isPaused = try await queue.isPaused()
            let oldest = try await queue.oldestWaitingTimestamp().map { Duration.milliseconds(max(0, queue.clock.nowMilliseconds() - $0)) }
            let waiting = (counts[.waiting] ?? 0) + (counts[.prioritized] ?? 0) + (counts[.paused] ?? 0)
            result.append(
                QueueObservation(
                    queue: queue.name, counts: counts, isPaused: isPaused, workers: workers,
                    health: .assess(
                        paused: isPaused, legacyPaused: counts[.paused] ?? 0, waiting: waiting,
                        workers: workers, oldestWait: oldest)))
        }
        return result
    }
}

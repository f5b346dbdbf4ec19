import Foundation
import JobQueue
import Synchronization

/// Feeds a worker's events into the registry: finished jobs by result, run times, stalls.
public final class WorkerMetrics: Sendable {
    let registry: MetricsRegistry
    let queue: String
    private let started = Mutex<[String: (name: String, at: ContinuousClock.Instant)]>([:])

    public init(registry: MetricsRegistry, queue: String) {
        self.registry = registry
        self.queue = queue
    }

    public func record(_ event: WorkerEvent) {
        switch event {
        case .active(let jobId, let name):
            started.withLock { $0[jobId] = (name, .now) }
        case .completed(let jobId, _):
            finish(jobId, result: "completed")
        case .failed(let jobId, _, let willRetry):
            finish(jobId, result: willRetry ? "retried" : "failed")
        case .stalled(let ids):
            registry.increment("medicineman_stalled_jobs_total", [queue], by: Double(ids.count))
        default:
            break
        }
    }

    private func finish(_ jobId: String, result: String) {
        guard let start = started.withLock({ $0.removeValue(forKey: jobId) }) else { return }
        let elapsed = ContinuousClock.now - start.at
        registry.increment("medicineman_jobs_finished_total", [queue, start.name, result])
        registry.observe("medicineman_job_run_duration_seconds", [queue, start.name],
                         Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

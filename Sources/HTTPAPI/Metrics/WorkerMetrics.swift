import Foundation
import JobQueue
import Synchronization

/// Feeds a worker's events into the registry: finished jobs by result, run times, stalls.
public final class WorkerMetrics: Sendable {
    let registry: MetricsRegistry
    let queue: String
    private let started = Mutex<[String: (name: String, at: ContinuousClock.Instant)]>([:])

    public init(registry: MetricsRegistry, queue: String, concurrency: Int) {
        self.registry = registry
        self.queue = queue
        registry.setGauge("medicineman_worker_concurrency", [queue], Double(concurrency))
        registry.addToGauge("medicineman_worker_active_jobs", [queue], 0)
    }

    public func record(_ event: WorkerEvent) {
        switch event {
        case .active(let jobId, let name, let waited):
            started.withLock { $0[jobId] = (name, .now) }
            registry.addToGauge("medicineman_worker_active_jobs", [queue], 1)
            if let waited { registry.observe("medicineman_job_wait_duration_seconds", [queue, name], waited.seconds) }
        case .completed(let jobId, _):
            finish(jobId, result: "completed")
        case .failed(let jobId, _, let willRetry):
            finish(jobId, result: willRetry ? "retried" : "failed")
        case .postponed(let jobId, _):
            if release(jobId) != nil { registry.addToGauge("medicineman_worker_active_jobs", [queue], -1) }
        case .lockLost(let jobId):
            finish(jobId, result: "lock_lost")
        case .stalled(let ids):
            registry.increment("medicineman_stalled_jobs_total", [queue], by: Double(ids.count))
        default:
            break
        }
    }

    private func release(_ jobId: String) -> (name: String, at: ContinuousClock.Instant)? {
        started.withLock { $0.removeValue(forKey: jobId) }
    }

    private func finish(_ jobId: String, result: String) {
        guard let start = release(jobId) else { return }
        registry.addToGauge("medicineman_worker_active_jobs", [queue], -1)
        registry.increment("medicineman_jobs_finished_total", [queue, start.name, result])
        registry.observe("medicineman_job_run_duration_seconds", [queue, start.name], (ContinuousClock.now - start.at).seconds)
    }
}

extension Duration {
    /// The duration in seconds, as Prometheus wants it.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

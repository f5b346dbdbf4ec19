package import CoreMetrics
package import JobQueue
import Synchronization

/// Feeds a worker's events into swift-metrics: finished jobs by result, run and wait times,
/// stalls, the jobs running now and the worker's concurrency.
package final class WorkerMetrics: Sendable {
    let factory: any MetricsFactory
    let queue: String
    /// Job names kept as label values; any other (a foreign producer's) counts as `other`, so
    /// made-up names cannot grow the label set without bound.
    let knownNames: Set<String>
    private let activeJobs: Meter
    private let stalledJobs: Counter
    private let started = Mutex<[String: (name: String, at: ContinuousClock.Instant)]>([:])

    package init(
        factory: any MetricsFactory, queue: String, concurrency: Int, knownNames: Set<String> = Set(ServerJobName.allCases.map(\.rawValue))
    ) {
        self.factory = factory
        self.queue = queue
        self.knownNames = knownNames
        Gauge(label: "medicineman_worker_concurrency", dimensions: [("queue", queue)], factory: factory).record(concurrency)
        activeJobs = Meter(label: "medicineman_worker_active_jobs", dimensions: [("queue", queue)], factory: factory)
        stalledJobs = Counter(label: "medicineman_stalled_jobs_total", dimensions: [("queue", queue)], factory: factory)
    }

    package func record(_ event: WorkerEvent) {
        switch event {
        case .active(let jobId, let jobName, let waited):
            let name = knownNames.contains(jobName) ? jobName : "other"
            started.withLock { $0[jobId] = (name, .now) }
            activeJobs.increment()
            if let waited { timer("medicineman_job_wait_duration_seconds", name).recordNanoseconds(waited.nanoseconds) }
        case .completed(let jobId, _):
            finish(jobId, result: "completed")
        case .failed(let jobId, _, let willRetry):
            finish(jobId, result: willRetry ? "retried" : "failed")
        case .postponed(let jobId, _):
            if release(jobId) != nil { activeJobs.decrement() }
        case .lockLost(let jobId):
            finish(jobId, result: "lock_lost")
        case .stalled(let ids):
            stalledJobs.increment(by: ids.count)
        default:
            break
        }
    }

    private func timer(_ label: String, _ name: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: label, dimensions: [("queue", queue), ("name", name)], factory: factory)
    }

    private func release(_ jobId: String) -> (name: String, at: ContinuousClock.Instant)? {
        started.withLock { $0.removeValue(forKey: jobId) }
    }

    private func finish(_ jobId: String, result: String) {
        guard let start = release(jobId) else { return }
        activeJobs.decrement()
        Counter(label: "medicineman_jobs_finished_total", dimensions: [("queue", queue), ("name", start.name), ("result", result)], factory: factory)
            .increment()
        timer("medicineman_job_run_duration_seconds", start.name).recordNanoseconds((ContinuousClock.now - start.at).nanoseconds)
    }
}

extension Duration {
    /// Whole nanoseconds, as swift-metrics timers take them.
    package var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
